package anyws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// halfway is a hand-over that fails after the old node gave the peer
// up: three nodes on one bus, node-1's broker wrapped by fault (whose
// fault is on while failing is set); a peer on node-0 that got news-1
// and direct-1, then lost its connection, and news-2 published
// meanwhile. Its client claims on node-1, which must answer
// ErrClaimAgain, then claims again on node-`again`, which must resume
// the same peer with news-2 alone, and live again after.
func halfway(t *testing.T, again int, failing *atomic.Bool, fault func(brokertest.StoreBroker) pubsub.Broker) {
	bus := pubsub.NewMemoryHistory(nil)
	brokers := []pubsub.Broker{bus.Broker(), fault(bus.Broker().(brokertest.StoreBroker)), bus.Broker()}
	var hubs []*anyws.Hub
	for i, b := range brokers {
		h := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
			&anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute})
		t.Cleanup(func() { require.NoError(t, h.Close()) })
		hubs = append(hubs, h)
	}
	ctx := context.Background()
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	_, err := hubs[2].PublishWait(ctx, "news", "news-1")
	require.NoError(t, err)
	waitWritten(t, c0, []string{"news-1"})
	require.NoError(t, c0.s.Peer().Send("direct-1"))
	waitWritten(t, c0, []string{"direct-1"})
	claimed := c0.s.ResumeKey() + ":2" // it got news-1 and direct-1
	c0.cut()
	_, err = hubs[2].PublishWait(ctx, "news", "news-2")
	require.NoError(t, err)

	failing.Store(true)
	hs, err := hubs[1].Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
	require.NoError(t, err)
	_, err = hubs[1].Attach(hs, &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}, resumable(claimed))
	require.ErrorIs(t, err, anyws.ErrClaimAgain, "not a new peer: the client should claim again")
	failing.Store(false)

	c := moveTo(t, hubs[again], claimed, id)
	defer c.finish()
	require.Equal(t, []string{"news-2"}, c.written(), "what it missed, once")
	_, err = hubs[0].PublishWait(ctx, "news", "news-3")
	require.NoError(t, err)
	waitWritten(t, c, []string{"news-3"}) // and live again
}

// TestClaimAgainAfterFailedTakeOver: a node that took a peer over (the
// old node gave it up) and could not read its topics' history asks the
// client to claim again; the client's next claim, which still names the
// old node, resumes the same peer with every message it missed, whether
// it comes back to that node or reaches a third one (which the node
// hands the peer on to). Before, the node had dropped the hand-over and
// the client got a new peer ("unknown").
func TestClaimAgainAfterFailedTakeOver(t *testing.T) {
	t.Parallel()
	for _, again := range []int{1, 2} {
		t.Run(fmt.Sprint("again on node-", again), func(t *testing.T) {
			t.Parallel()
			var failing atomic.Bool
			halfway(t, again, &failing, func(b brokertest.StoreBroker) pubsub.Broker {
				return brokertest.HistoryFails{StoreBroker: b, Failing: &failing}
			})
		})
	}
}

// TestAnswerLostInHandOver: the old node handed the peer over, but its
// answer never reached the asking node (it gave up waiting). The
// client's next claim still resumes the same peer with every message
// once: landing on the node that asked, it gets the state again from
// the old node; landing on a third node, the walk goes old node → the
// node that asked, which fetches the state again and hands it on.
// Before, the peer was in neither node and the client got a new one.
func TestAnswerLostInHandOver(t *testing.T) {
	t.Parallel()
	for _, again := range []int{1, 2} {
		t.Run(fmt.Sprint("again on node-", again), func(t *testing.T) {
			t.Parallel()
			var losing atomic.Bool
			var lost atomic.Int64
			halfway(t, again, &losing, func(b brokertest.StoreBroker) pubsub.Broker {
				return brokertest.AnswerLost{StoreBroker: b, Losing: &losing, Lost: &lost}
			})
			require.EqualValues(t, 1, lost.Load(), "node-0 answered once, and the answer was lost")
		})
	}
}
