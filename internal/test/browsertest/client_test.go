package browsertest_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// echoResult is what window.echo returns.
type echoResult struct {
	Transport, Uplink string
	ReadyState        int
	Got, Want, Errors []string
	Close             struct {
		Type          string
		Code          int
		WasClean      bool
		WillReconnect bool
	}
	FinalState int
}

// TestClient runs anyws.js over every transport and uplink against the
// auto handler: it opens on the expected transport, every message comes
// back in order (text, multi-line, non-ASCII, binary), and close() fires
// a real CloseEvent and ends the peer on the server.
func TestClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		h2                bool
		opts              *auto.Options
		client            string
		transport, uplink string
	}{
		{"websocket", false, nil, `{}`, "websocket", ""},
		{"websocket/h2", true, nil, `{}`, "websocket", ""},
		{"sse+post/http1", false, nil, `{transport: "sse"}`, "sse", "post"},
		{"sse+stream/h2", true, nil, `{transport: "sse"}`, "sse", "stream"},
		{"sse+post/h2-forced", true, nil, `{transport: "sse", uplink: "post"}`, "sse", "post"},
		{"fallback/http1", false, &auto.Options{DisableWebSocket: true}, `{}`, "sse", "post"},
		{"fallback/h2", true, &auto.Options{DisableWebSocket: true}, `{}`, "sse", "stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := echoHub(t, "welcome ")
			srv := serve(t, mux(auto.New(hub, tc.opts)), tc.h2)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var res echoResult
			browsertest.Eval(t, ctx, "echo('/_ws', "+tc.client+", 100)", &res)
			require.Equal(t, tc.transport, res.Transport)
			require.Equal(t, tc.uplink, res.Uplink)
			require.Equal(t, 1, res.ReadyState)
			require.Equal(t, res.Want, res.Got)
			require.Empty(t, res.Errors)
			require.Equal(t, "CloseEvent", res.Close.Type)
			require.Equal(t, 1000, res.Close.Code)
			require.True(t, res.Close.WasClean)
			require.False(t, res.Close.WillReconnect)
			require.Equal(t, 3, res.FinalState)
			require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, wait, 10*time.Millisecond)
		})
	}
}

// TestClientSendErrors: a message the server refuses (too large) fires an
// error event carrying it, on every uplink, and later messages still go.
func TestClientSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		h2     bool
		client string
	}{
		{"post", false, `{transport: "sse"}`},
		{"stream", true, `{transport: "sse"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := echoHub(t, "welcome ")
			srv := serve(t, mux(auto.New(hub, &auto.Options{SSE: sse.Options{MaxMessageBytes: 1000}})), tc.h2)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var st struct{ Uplink string }
			browsertest.Eval(t, ctx, "start('c', '/_ws', "+tc.client+")", &st)
			require.Equal(t, tc.name, st.Uplink)
			browsertest.Eval(t, ctx, "send('c', 'x'.repeat(2000)), waitErrors('c', 1)", nil)
			var log struct {
				Errors []struct{ Message, Unsent string }
			}
			browsertest.Eval(t, ctx, "state('c')", &log)
			require.Len(t, log.Errors, 1)
			require.Contains(t, log.Errors[0].Message, "413")
			require.Equal(t, strings.Repeat("x", 2000), log.Errors[0].Unsent)
			// The peer lives on (over the framed uplink the next messages
			// go one POST each).
			browsertest.Eval(t, ctx, "send('c', 'still here'), waitMessage('c', 'still here')", nil)
			browsertest.Eval(t, ctx, "stop('c')", nil)
		})
	}
}

// TestClientReconnect: the server restarts mid-session (Hub shut down,
// listener closed, a new server on the same port); the client reconnects
// by itself, on the same transport, and keeps working.
func TestClientReconnect(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, client, transport string }{
		{"websocket", `{}`, "websocket"},
		{"sse", `{transport: "sse"}`, "sse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			hub1 := echoHub(t, "first ")
			srv1 := &http.Server{Handler: mux(auto.New(hub1, nil))}
			served1 := make(chan error, 1)
			go func() { served1 <- srv1.Serve(ln) }()

			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, "http://"+addr+"/")
			var st struct{ Transport string }
			browsertest.Eval(t, ctx, "start('c', '/_ws', "+tc.client+")", &st)
			require.Equal(t, tc.transport, st.Transport)
			browsertest.Eval(t, ctx, "waitMessage('c', "+js("first "+tc.transport)+")", nil)

			// Restart: peers get a going-away close, then the port is
			// free for a moment, then a new server with a new Hub.
			shutdown(t, hub1)
			require.NoError(t, srv1.Close())
			require.ErrorIs(t, <-served1, http.ErrServerClosed)
			hub2 := echoHub(t, "second ")
			ln2, err := net.Listen("tcp", addr)
			require.NoError(t, err)
			srv2 := &http.Server{Handler: mux(auto.New(hub2, nil))}
			served2 := make(chan error, 1)
			go func() { served2 <- srv2.Serve(ln2) }()
			t.Cleanup(func() {
				_ = srv2.Close()
				if err := <-served2; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("serve: %v", err)
				}
			})

			browsertest.Eval(t, ctx, "waitMessage('c', "+js("second "+tc.transport)+")", nil)
			browsertest.Eval(t, ctx, "send('c', 'after restart'), waitMessage('c', 'after restart')", nil)
			var log struct {
				Transport string
				Events    []string
				Errors    []struct{ Message string }
			}
			browsertest.Eval(t, ctx, "state('c')", &log)
			require.Equal(t, tc.transport, log.Transport)
			require.GreaterOrEqual(t, len(log.Events), 4, "events: %v", log.Events)
			require.Equal(t, []string{"open:" + tc.transport, "close:1001", "reconnecting"}, log.Events[:3], "events: %v", log.Events)
			require.Equal(t, "open:"+tc.transport, log.Events[len(log.Events)-1], "events: %v", log.Events)
			browsertest.Eval(t, ctx, "stop('c')", nil)
			require.Eventually(t, func() bool { return len(hub2.Peers()) == 0 }, wait, 10*time.Millisecond)
		})
	}
}
