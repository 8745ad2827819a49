package sse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// Headers a middleware set before the handler ran (CORS, cookies,
// request ids) reach the client on an HTTP/1.1 stream, which the adapter
// writes by hand after taking the connection over, as they do when
// net/http writes the response.
func TestMiddlewareHeaders(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	t.Cleanup(func() { _ = hub.Close() })
	h := adapter.New(hub, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Set("X-Request-Id", "req-1")
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "https://app.example", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "req-1", resp.Header.Get("X-Request-Id"))
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
}
