package js_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// TestNode: the client runs in Node too (fetch, EventTarget and streams
// are all it needs over SSE): without a WebSocket it falls back to SSE
// with reason "unavailable", echoes text and binary, and closes cleanly.
func TestNode(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { _ = p.Send("welcome " + p.Transport()) },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	srv := httptest.NewServer(auto.New(hub, nil))
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t) // fails with the command to run when Node is missing
	out := nodetest.Run(t, ".", "node", "testdata/node-client.mjs", srv.URL+"/_ws")
	var res struct {
		Transport, Uplink string
		Fallback          struct{ Reason, Message string }
		Got               []string
		Close             struct {
			Code          int
			WasClean      bool
			WillReconnect bool
		}
		ReadyState int
	}
	require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)
	require.Equal(t, "sse", res.Transport)
	require.Equal(t, "post", res.Uplink)
	require.Equal(t, "unavailable", res.Fallback.Reason)
	require.Equal(t, []string{"welcome sse", "hello", "bin:1,2,255"}, res.Got)
	require.Equal(t, 1000, res.Close.Code)
	require.True(t, res.Close.WasClean)
	require.False(t, res.Close.WillReconnect)
	require.Equal(t, 3, res.ReadyState)
	require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, 20*time.Second, 10*time.Millisecond)
}

// TestNodeGoodbye: in Node too, close(code, reason) over SSE tells a
// server that keeps dropped peers for a resume (a window far longer than
// the test) that the client leaves: the peer closes at once, with the
// client's code and reason.
func TestNodeGoodbye(t *testing.T) {
	t.Parallel()
	closed := make(chan anyws.CloseInfo, 1)
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
		Open:    func(p *anyws.Peer) { _ = p.Send("welcome " + p.Transport()) },
		Close:   func(_ *anyws.Peer, c anyws.CloseInfo) { closed <- c },
	}, &anyws.Options{ResumeWindow: 10 * time.Minute})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	srv := httptest.NewServer(auto.New(hub, nil))
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t)
	nodetest.Run(t, ".", "node", "testdata/node-client.mjs", srv.URL+"/_ws")
	select {
	case info := <-closed:
		require.Equal(t, anyws.StatusNormalClosure, info.Code)
		require.Equal(t, "bye", info.Reason)
	case <-time.After(20 * time.Second):
		require.FailNow(t, "the Close hook did not run: the goodbye should end the peer at once, not after the 10-minute window")
	}
}
