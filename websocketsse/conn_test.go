package websocketsse_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

var uplinks = []websocketsse.Uplink{websocketsse.UplinkAuto, websocketsse.UplinkStream, websocketsse.UplinkPerMessage}

// eachMode runs fn for every server mode and uplink.
func eachMode(t *testing.T, fn func(t *testing.T, m mode, up websocketsse.Uplink)) {
	for _, m := range modes {
		for _, up := range uplinks {
			t.Run(m.name+"/"+up.String(), func(t *testing.T) {
				t.Parallel()
				fn(t, m, up)
			})
		}
	}
}

func TestEchoTextAndBinary(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode, up websocketsse.Uplink) {
		s := serveEcho(t, m, nil, nil)
		c := s.dial(t, &websocketsse.DialOptions{Uplink: up})
		ctx := ctxT(t)
		bin := []byte{0, 1, 2, 0xff, '\n', '\r', 0x80}
		cases := []struct {
			typ  websocket.MessageType
			data []byte
		}{
			{websocket.MessageText, []byte("hello")},
			{websocket.MessageBinary, bin},
			{websocket.MessageText, []byte("two\nlines")},
			{websocket.MessageText, []byte("")},
			{websocket.MessageBinary, []byte{}},
			{websocket.MessageText, []byte("héllo ✓")},
		}
		for _, tc := range cases {
			require.NoError(t, c.Write(ctx, tc.typ, tc.data))
			typ, got, err := c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.typ, typ)
			require.Equal(t, string(tc.data), string(got))
			msg := recv(t, s.got)
			require.Equal(t, tc.typ == websocket.MessageBinary, msg.IsBinary())
			require.Equal(t, string(tc.data), string(msg.Bytes()))
		}
		require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	})
}

func TestThousandMessagesInOrder(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode, up websocketsse.Uplink) {
		s := serveEcho(t, m, nil, nil)
		c := s.dial(t, &websocketsse.DialOptions{Uplink: up})
		ctx := ctxT(t)
		const n = 1000
		werr := make(chan error, 1)
		go func() {
			for i := range n {
				typ := websocket.MessageText
				if i%3 == 0 {
					typ = websocket.MessageBinary
				}
				if err := c.Write(ctx, typ, fmt.Appendf(nil, "m%d", i)); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		for i := range n {
			typ, got, err := c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("m%d", i), string(got))
			require.Equal(t, i%3 == 0, typ == websocket.MessageBinary)
			msg := recv(t, s.got)
			require.Equal(t, fmt.Sprintf("m%d", i), msg.Text(), "server order")
		}
		require.NoError(t, recv(t, werr))
		require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	})
}

func TestServerCloseCode(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			s := serveEcho(t, m, nil, nil)
			c := s.dial(t, nil)
			p := recv(t, s.peers)
			require.NoError(t, p.Send("last words"))
			require.NoError(t, p.Close(4001, "bye"))
			ctx := ctxT(t)
			_, got, err := c.Read(ctx)
			require.NoError(t, err, "messages queued before the close come first")
			require.Equal(t, "last words", string(got))
			_, _, err = c.Read(ctx)
			require.Equal(t, websocket.StatusCode(4001), websocket.CloseStatus(err), "%v", err)
			var ce websocket.CloseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "bye", ce.Reason)
			err = c.Write(ctx, websocket.MessageText, []byte("too late"))
			require.Equal(t, websocket.StatusCode(4001), websocket.CloseStatus(err), "%v", err)
			require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
		})
	}
}

func TestClientCloseIsADisconnect(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			closed := make(chan anyws.CloseInfo, 1)
			// Recovery off: no goodbye (see TestCloseSaysGoodbye).
			s := serveEchoHub(t, m, &anyws.Options{ResumeWindow: -1}, &sse.Options{Hooks: anyws.Hooks{
				Close: func(_ *anyws.Peer, ci anyws.CloseInfo) { closed <- ci },
			}}, nil)
			c := s.dial(t, nil)
			ctx := ctxT(t)
			require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
			require.NoError(t, c.Close(websocket.StatusNormalClosure, "done"))
			ci := recv(t, closed)
			require.Equal(t, anyws.StatusGoingAway, ci.Code, "Close's doc says what the server sees")

			_, _, err := c.Read(ctx)
			require.ErrorIs(t, err, net.ErrClosed)
			require.ErrorIs(t, c.Write(ctx, websocket.MessageText, []byte("x")), net.ErrClosed)
			require.ErrorIs(t, c.Close(websocket.StatusNormalClosure, ""), net.ErrClosed)
			require.ErrorIs(t, c.CloseNow(), net.ErrClosed)
		})
	}
}

// badToken makes every POST carry a token the server does not know.
func badToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Header.Set(sse.TokenHeader, "0123456789abcdef0123456789abcdef")
		}
		h.ServeHTTP(w, r)
	})
}

func TestWriteUnknownToken404(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode, up websocketsse.Uplink) {
		if m.name == "http1" && up == websocketsse.UplinkStream {
			t.Skip("documented limit: over HTTP/1.1 Go's transport reports an early answer to a streaming POST only once the body ends")
		}
		s := serveEcho(t, m, nil, badToken)
		c := s.dial(t, &websocketsse.DialOptions{Uplink: up})
		ctx := ctxT(t)
		err := c.Write(ctx, websocket.MessageText, []byte("lost?"))
		if err == nil {
			// The framed uplink learns the verdict later: Read reports it.
			require.False(t, up == websocketsse.UplinkPerMessage || (up == websocketsse.UplinkAuto && !m.h2))
			_, _, err = c.Read(ctx)
		}
		requireStatus(t, err, http.StatusNotFound)
		require.Contains(t, err.Error(), "anyws: unknown or closed peer token")
		_ = c.CloseNow()
	})
}

func TestWriteTooLarge413(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode, up websocketsse.Uplink) {
		s := serveEcho(t, m, &sse.Options{MaxMessageBytes: 1024}, nil)
		c := s.dial(t, &websocketsse.DialOptions{Uplink: up})
		ctx := ctxT(t)
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("small")))
		_, got, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, "small", string(got))

		err = c.Write(ctx, websocket.MessageBinary, make([]byte, 2048))
		perMessage := up == websocketsse.UplinkPerMessage || (up == websocketsse.UplinkAuto && !m.h2)
		if perMessage {
			requireStatus(t, err, http.StatusRequestEntityTooLarge)
			// One refused message leaves a per-message Conn usable.
			require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("after")))
			_, got, err = c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, "after", string(got))
			require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
			return
		}
		if err == nil {
			_, _, err = c.Read(ctx)
		}
		requireStatus(t, err, http.StatusRequestEntityTooLarge)
		requireStatus(t, c.Write(ctx, websocket.MessageText, []byte("after")), http.StatusRequestEntityTooLarge)
		requireStatus(t, c.Close(websocket.StatusNormalClosure, ""), http.StatusRequestEntityTooLarge)
	})
}

func requireStatus(t *testing.T, err error, status int) {
	t.Helper()
	var herr *websocketsse.HTTPError
	require.ErrorAs(t, err, &herr)
	require.Equal(t, status, herr.StatusCode, "%v", err)
	require.True(t, strings.HasPrefix(herr.Body, "anyws: "), "body %q", herr.Body)
}

func TestWriteRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	s := serveEcho(t, modes[0], nil, nil)
	c := s.dial(t, nil)
	err := c.Write(ctxT(t), websocket.MessageText, []byte{0xff})
	require.ErrorContains(t, err, "not valid UTF-8")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

func TestDialSchemes(t *testing.T) {
	t.Parallel()
	s := serveEcho(t, modes[0], nil, nil)
	ws := "ws" + strings.TrimPrefix(s.url, "http")
	c, _, err := websocketsse.Dial(ctxT(t), ws, &websocketsse.DialOptions{HTTPClient: s.client})
	require.NoError(t, err)
	require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte("over ws://")))
	_, got, err := c.Read(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "over ws://", string(got))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))

	_, _, err = websocketsse.Dial(ctxT(t), "ftp://example.com/", nil)
	require.ErrorContains(t, err, "scheme")
}

func TestDialRejected(t *testing.T) {
	t.Parallel()
	s := serveEcho(t, modes[0], &sse.Options{Hooks: anyws.Hooks{
		Upgrade: func(*anyws.Handshake) error { return anyws.Reject(http.StatusUnauthorized, "anyws: log in first") },
	}}, nil)
	_, resp, err := websocketsse.Dial(ctxT(t), s.url, &websocketsse.DialOptions{HTTPClient: s.client})
	requireStatus(t, err, http.StatusUnauthorized)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.False(t, errors.Is(err, net.ErrClosed))
}
