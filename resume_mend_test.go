package anyws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// mendNodes are n nodes on one history bus whose peers keep only
// replay bytes of what was written.
func mendNodes(t *testing.T, n, replay int) []*anyws.Hub {
	bus := pubsub.NewMemoryHistory(nil)
	var hubs []*anyws.Hub
	for i := range n {
		h := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
			&anyws.Options{Broker: bus.Broker(), NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute, ReplayBytes: replay})
		t.Cleanup(func() { _ = h.Close() })
		hubs = append(hubs, h)
	}
	return hubs
}

// TestResumeMendedFromHistory: a client that missed more than its peer
// kept of what was written (the replay bound: on a loaded machine what
// sits in socket buffers when a connection is cut can be more) is not
// told "gap" any more when its claim has its marks: its topic's messages
// come again from the history, after its last mark, once, in order,
// here and on another node. The status says Mended.
func TestResumeMendedFromHistory(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"same node", "another node"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			hubs := mendNodes(t, 2, 1024)
			ctx := context.Background()
			c0 := attach(t, hubs[0], "/", resumable(""))
			id := c0.peer().ID()
			var want []string
			for i := 1; i <= 100; i++ {
				text := fmt.Sprintf("news-%03d %s", i, strings.Repeat("x", 64))
				_, err := hubs[1].PublishWait(ctx, "news", text)
				require.NoError(t, err)
				want = append(want, text)
			}
			got := c0.writtenPayloads()
			require.Len(t, got, 100)
			// The client read only the first 10 before its connection
			// was cut; the peer kept far fewer than the other 90.
			set, _ := marks(t, got[:10])
			claimed := fmt.Sprintf("%s:10", c0.s.ResumeKey())
			c0.cut()

			hub := hubs[0]
			if where == "another node" {
				hub = hubs[1]
			}
			c := attach(t, hub, "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()})
			defer c.finish()
			require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true, Mended: true}, c.s.Resume())
			require.Equal(t, id, c.peer().ID())
			require.Equal(t, want[10:], c.written(), "every message after its last mark, once, in order")
			_, err := hubs[1].PublishWait(ctx, "news", "live")
			require.NoError(t, err)
			require.Equal(t, []string{"live"}, c.written())
		})
	}
}

// TestResumeGapWithoutMarks: the same claim without marks (a client
// that keeps none) still gets a new peer, told "gap".
func TestResumeGapWithoutMarks(t *testing.T) {
	t.Parallel()
	hubs := mendNodes(t, 1, 1024)
	c0 := attach(t, hubs[0], "/", resumable(""))
	for i := 1; i <= 100; i++ {
		_, err := hubs[0].PublishWait(context.Background(), "news", strings.Repeat("x", 64))
		require.NoError(t, err)
	}
	require.Len(t, c0.writtenPayloads(), 100)
	claimed := fmt.Sprintf("%s:10", c0.s.ResumeKey())
	c0.cut()
	c := attach(t, hubs[0], "/", resumable(claimed))
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Reason: "gap"}, c.s.Resume())
}
