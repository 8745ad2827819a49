package auto_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

// chatHub publishes every message to the other members of "chat".
func chatHub(t *testing.T) *anyws.Hub {
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("chat"); _ = p.Send("hello " + p.Transport()) },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Publish("chat", p.Transport()+": "+m.Text()) },
	}, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	return hub
}

type reader interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
}

func readText(ctx context.Context, t *testing.T, c reader) string {
	t.Helper()
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	return string(data)
}

// TestWebSocketAndSSEShareTheHub: a WebSocket peer and an SSE peer on the
// same URL see each other's publishes.
func TestWebSocketAndSSEShareTheHub(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	srv := httptest.NewServer(auto.New(chatHub(t), nil))
	defer srv.Close()

	wsc, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/_ws", nil)
	require.NoError(t, err)
	defer wsc.CloseNow()
	require.Equal(t, "hello websocket", readText(ctx, t, wsc))

	ssec, _, err := websocketsse.Dial(ctx, srv.URL+"/_ws", &websocketsse.DialOptions{Reconnect: websocketsse.Reconnect{MaxAttempts: -1}})
	require.NoError(t, err)
	defer ssec.CloseNow()
	require.Equal(t, "hello sse", readText(ctx, t, ssec))

	require.NoError(t, wsc.Write(ctx, websocket.MessageText, []byte("hi from ws")))
	require.Equal(t, "websocket: hi from ws", readText(ctx, t, ssec))
	require.NoError(t, ssec.Write(ctx, websocket.MessageText, []byte("hi from sse")))
	require.Equal(t, "sse: hi from sse", readText(ctx, t, wsc))
}

// TestDisableWebSocket: upgrades are refused with 403 and a text body,
// and SSE still works on the same URL.
func TestDisableWebSocket(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	srv := httptest.NewServer(auto.New(chatHub(t), &auto.Options{DisableWebSocket: true}))
	defer srv.Close()

	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	c, _, err := websocketsse.Dial(ctx, srv.URL, &websocketsse.DialOptions{Reconnect: websocketsse.Reconnect{MaxAttempts: -1}})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, "hello sse", readText(ctx, t, c))
}

// TestDispatchErrors: what is none of the transports gets a status and a
// text body starting with "anyws: ".
func TestDispatchErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(auto.New(chatHub(t), nil))
	t.Cleanup(srv.Close) // after the parallel subtests
	tests := []struct {
		name, method string
		header       map[string]string
		status       int
		allow        string
	}{
		{"plain GET", http.MethodGet, nil, http.StatusNotAcceptable, ""},
		{"POST without token", http.MethodPost, nil, http.StatusBadRequest, ""},
		{"POST with unknown token", http.MethodPost, map[string]string{"X-Crossws-Id": "nope"}, http.StatusNotFound, ""},
		{"PUT", http.MethodPut, nil, http.StatusMethodNotAllowed, "GET, POST"},
		{"DELETE", http.MethodDelete, nil, http.StatusMethodNotAllowed, "GET, POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, srv.URL+"/_ws", strings.NewReader("x"))
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode)
			require.True(t, strings.HasPrefix(string(body), "anyws: "), "body %q", body)
			require.Equal(t, tc.allow, resp.Header.Get("Allow"))
		})
	}
}

// TestFallback: requests that are no transport reach Options.Fallback;
// transports still win on the same URL.
func TestFallback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "page "+r.Method)
	})
	srv := httptest.NewServer(auto.New(chatHub(t), &auto.Options{Fallback: page}))
	defer srv.Close()
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+"/", nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "page "+method, string(body))
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, "hello websocket", readText(ctx, t, c))
}

// TestClientServed: the JavaScript client is served by the Handler under
// <path>/anyws.js and by Client on any path, with an ETag that turns a
// repeat request into a 304.
func TestClientServed(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/_ws/", auto.New(chatHub(t), nil))
	mux.Handle("/js/client.js", auto.Client())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/_ws/anyws.js", "/js/client.js"} {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Equal(t, auto.ClientSource, string(body))
		require.Contains(t, string(body), "export class AnyWS")

		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		resp, err = srv.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusNotModified, resp.StatusCode)
	}
}
