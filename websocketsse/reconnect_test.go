package websocketsse_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

func TestReconnectResumesWithLastEventID(t *testing.T) {
	t.Parallel()
	posted := make(chan string, 4)
	s := &standin{
		get: func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 1:
				openStream(w, "tok1", 5)
				for i := 1; i <= 3; i++ {
					sendEvent(w, i, fmt.Sprintf("m%d", i))
				}
				// An event cut by the drop is not delivered.
				_, _ = fmt.Fprint(w, "id: 99\ndata: partial\n")
				// Return: the stream drops without event: close.
			default:
				last, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
				openStream(w, "tok2", 5)
				for i := last + 1; i <= 5; i++ {
					sendEvent(w, i, fmt.Sprintf("m%d", i))
				}
				holdOpen(r)
			}
		},
		post: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Crossws-Id") != "tok2" {
				http.Error(w, "anyws: unknown or closed peer token", http.StatusNotFound)
				return
			}
			posted <- readAll(r)
			w.WriteHeader(http.StatusNoContent)
		},
	}
	url, client := serveStandin(t, s)
	ctx := ctxT(t)
	c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer c.CloseNow()

	first := recv(t, s.gets)
	require.Empty(t, first.Header.Get("Last-Event-ID"))
	require.Equal(t, "text/event-stream", first.Header.Get("Accept"))
	for i := 1; i <= 5; i++ {
		typ, got, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, websocket.MessageText, typ)
		require.Equal(t, fmt.Sprintf("m%d", i), string(got), "each message once, in order")
	}
	second := recv(t, s.gets)
	require.Equal(t, "3", second.Header.Get("Last-Event-ID"))

	// The reconnected stream is a new peer: writes use its token.
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("after reconnect")))
	require.Equal(t, "after reconnect", recv(t, posted))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

func TestReconnectGivesUp(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(n int, w http.ResponseWriter, r *http.Request) {
		openStream(w, fmt.Sprintf("tok%d", n), 1)
		// Drop at once, every time.
	}}
	url, client := serveStandin(t, s)
	c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{
		HTTPClient: client,
		Reconnect:  websocketsse.Reconnect{MaxAttempts: 2},
	})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctxT(t))
	require.ErrorContains(t, err, "gave up after 2 reconnect attempts")
	require.Len(t, s.gets, 3, "the first GET and two reconnects")
	require.ErrorContains(t, c.Write(ctxT(t), websocket.MessageText, []byte("x")), "stream has ended")
}

func TestReconnectDisabled(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(n int, w http.ResponseWriter, r *http.Request) {
		openStream(w, "tok", 1)
		sendEvent(w, 1, "only")
	}}
	url, client := serveStandin(t, s)
	c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{
		HTTPClient: client,
		Reconnect:  websocketsse.Reconnect{MaxAttempts: -1},
	})
	require.NoError(t, err)
	defer c.CloseNow()
	_, got, err := c.Read(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "only", string(got))
	_, _, err = c.Read(ctxT(t))
	require.ErrorContains(t, err, "stream lost")
	require.Equal(t, websocket.StatusCode(-1), websocket.CloseStatus(err))
}

func TestNoContentStops(t *testing.T) {
	t.Parallel()
	t.Run("on dial", func(t *testing.T) {
		t.Parallel()
		s := &standin{get: func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }}
		url, client := serveStandin(t, s)
		_, resp, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client})
		require.ErrorContains(t, err, "204")
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	})
	t.Run("on reconnect", func(t *testing.T) {
		t.Parallel()
		s := &standin{get: func(n int, w http.ResponseWriter, r *http.Request) {
			if n > 1 {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			openStream(w, "tok", 1)
			sendEvent(w, 1, "bye soon")
		}}
		url, client := serveStandin(t, s)
		c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client})
		require.NoError(t, err)
		defer c.CloseNow()
		_, got, err := c.Read(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, "bye soon", string(got))
		_, _, err = c.Read(ctxT(t))
		require.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err), "%v", err)
		require.Len(t, s.gets, 2, "no attempt after the 204")
	})
}

func TestDialWrongContentType(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html>not a stream</html>"))
	}}
	url, client := serveStandin(t, s)
	_, resp, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client})
	require.ErrorContains(t, err, `Content-Type is "text/html; charset=utf-8", want text/event-stream`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestReconnectWrongContentTypeFails(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(n int, w http.ResponseWriter, _ *http.Request) {
		if n > 1 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
			return
		}
		openStream(w, "tok", 1)
	}}
	url, client := serveStandin(t, s)
	c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctxT(t))
	require.ErrorContains(t, err, `reconnect refused`)
	require.ErrorContains(t, err, `"application/json"`)
	require.Len(t, s.gets, 2, "no attempt after a wrong answer")
}

func TestDialContextCancelled(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{})
	s := &standin{get: func(_ int, _ http.ResponseWriter, r *http.Request) {
		close(reached)
		holdOpen(r) // never answers
	}}
	url, client := serveStandin(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-reached
		cancel()
	}()
	_, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{HTTPClient: client})
	require.ErrorIs(t, err, context.Canceled)
}
