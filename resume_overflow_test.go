package anyws_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// TestDetachedOverflowDuringPublish: a peer waiting to be resumed keeps
// receiving what its topics get; when its queue overflows, it closes
// (1013) without holding up the publish. Its close used to run inside
// the fan-out, which holds the topic index, and deadlocked there on
// leaving its topics: every later Publish hung (found by
// cmd/anyws-bench's stalled-subscriber run: a stalled SSE stream's
// write times out, its peer waits, and the publishes go on).
func TestDetachedOverflowDuringPublish(t *testing.T) {
	t.Parallel()
	closed := make(chan anyws.CloseInfo, 1)
	hub := anyws.New(anyws.Hooks{
		Open:  func(p *anyws.Peer) { p.Subscribe("news") },
		Close: func(p *anyws.Peer, c anyws.CloseInfo) { closed <- c },
	}, &anyws.Options{ResumeWindow: time.Minute, QueueMessages: 4})
	// No deferred hub.Close: after the deadlock it would hang too, and
	// the test must fail, not time out.
	c := attach(t, hub, "/", resumable(""))
	require.Empty(t, c.written())
	c.cut()
	require.Len(t, hub.Peers(), 1, "the dropped peer waits to be resumed")

	published := make(chan error, 1)
	go func() {
		for i := range 10 {
			if err := hub.Publish("news", fmt.Sprint(i)); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	select {
	case err := <-published:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Publish did not return: the overflowing waiting peer's close blocked the fan-out")
	}
	select {
	case info := <-closed:
		require.Equal(t, anyws.StatusTryAgainLater, info.Code, "closed by the overflow: %+v", info)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting peer's Close hook did not run after its queue overflowed")
	}
	require.Empty(t, hub.Peers())
	require.NoError(t, hub.Close())
}
