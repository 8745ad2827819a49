package clustertest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/websocketsse"
	"github.com/stretchr/testify/require"
)

// testOutage kills the broker's server during a run and starts it again
// on the same port: no node fails, publishes made during the outage are
// reported (Error hook with a nil peer, and the broker's Stats), and
// delivery resumes by itself.
func testOutage(t *testing.T, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	pubNode, subNode := NewNode(t, cfg.NewBroker(), ""), NewNode(t, cfg.NewBroker(), "news")
	conn, resp, err := websocketsse.Dial(ctx, subNode.URL+"/sse", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	tok := resp.Header.Get("X-Crossws-Id")
	recv(t, subNode.Opened, "Open")
	Sync(t, pubNode, subNode)

	msgs := make(chan string, 1<<14)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			msgs <- string(b)
		}
	}()
	t.Cleanup(func() { _ = conn.CloseNow(); <-readDone })

	require.NoError(t, pubNode.Hub.Publish("news", "before"))
	require.Equal(t, "before", recv(t, msgs, "the message before the outage"))

	cfg.Server.Kill()
	// Publish until a loss is reported: the broker may take a moment to
	// notice the connection is gone.
	stats, hasStats := pubNode.Broker.(interface{ Stats() pubsub.Stats })
	lostOne := func() bool { return !hasStats || stats.Stats().Failed > 0 }
	reported := false
	for i := 0; i < 3000 && !(reported && lostOne()); i++ {
		require.NoError(t, pubNode.Hub.Publish("news", "during-"+strconv.Itoa(i)))
		select {
		case err := <-pubNode.Errs:
			require.ErrorContains(t, err, "anyws: broker")
			reported = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	require.True(t, reported, "no broker failure was reported to the Error hook")
	require.True(t, lostOne(), "no publish made during the outage was counted as lost")

	cfg.Server.Restart()
	// The live stream's uplink, posted through the other node while both
	// reconnect, is never told the stream is gone (404): the nodes are
	// not yet back on the bus, which is 502 (or 503, 504), retryable.
	for i := 0; ; i++ {
		require.Less(t, i, 3000, "no uplink POST went through after the restart")
		status := post(t, pubNode.URL+"/sse", tok, []byte("uplink-"+strconv.Itoa(i)))
		if status == http.StatusNoContent {
			break
		}
		require.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, status,
			"POST %d for a live stream during the broker's recovery", i)
	}
	// Delivery resumes once both nodes are back: publish until one
	// arrives (those sent while a node was still reconnecting are lost).
	resumed := false
	for i := 0; i < 3000 && !resumed; i++ {
		require.NoError(t, pubNode.Hub.Publish("news", "after-"+strconv.Itoa(i)))
	drain:
		for {
			select {
			case m := <-msgs:
				if strings.HasPrefix(m, "after-") {
					resumed = true
					break drain
				}
			case <-time.After(10 * time.Millisecond):
				break drain
			}
		}
	}
	require.True(t, resumed, "delivery did not resume after the server came back")
	// Both nodes still serve new peers.
	for _, n := range []*Node{pubNode, subNode} {
		c, _, err := websocketsse.Dial(ctx, n.URL+"/sse", nil)
		require.NoError(t, err)
		_ = c.CloseNow()
	}
}
