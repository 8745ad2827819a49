package browsertest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// TestNativeWebSocket: the browser's own WebSocket against the WebSocket
// adapter: greeting, text and binary echo, close code.
func TestNativeWebSocket(t *testing.T) {
	t.Parallel()
	hub := echoHub(t, "welcome ")
	srv := serve(t, mux(websocket.New(hub, nil)), false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	var res struct {
		Got   []string
		Close int
	}
	browsertest.Eval(t, ctx, "nativeWebSocket("+js("ws"+strings.TrimPrefix(srv.URL, "http")+"/_ws")+")", &res)
	require.Equal(t, []string{"welcome websocket", "ping", "bin:7,8,9"}, res.Got)
	require.Equal(t, 1000, res.Close)
	require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, wait, 10*time.Millisecond)
}

// TestNativeEventSource: the browser's own EventSource against one-way
// SSE: what Open sends, multi-line data, and a Hub publish.
func TestNativeEventSource(t *testing.T) {
	t.Parallel()
	opened := make(chan struct{}, 1)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			defer func() { opened <- struct{}{} }()
			p.Subscribe("news")
			_ = p.Send("first")
			_ = p.Send("two\nlines\r\nand CRLF")
		},
		// A closed EventSource cannot say goodbye: its peer waits out
		// the resume window (shortened here) before it closes.
	}, &anyws.Options{ResumeWindow: time.Second})
	t.Cleanup(func() { shutdown(t, hub) })
	srv := serve(t, mux(sse.New(hub, nil)), false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")

	published := make(chan error, 1)
	go func() {
		// Publish once the browser's stream is a peer.
		select {
		case <-opened:
			published <- hub.Publish("news", "published")
		case <-ctx.Done():
			published <- ctx.Err()
		}
	}()
	var got []string
	browsertest.Eval(t, ctx, "nativeEventSource('/_ws', 3)", &got)
	require.NoError(t, <-published)
	require.Equal(t, []string{"first", "two\nlines\nand CRLF", "published"}, got)
	require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, wait, 10*time.Millisecond)
}
