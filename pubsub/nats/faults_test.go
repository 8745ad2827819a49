package nats_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// wait bounds each wait of these tests; it is generous (a loaded 2-core
// machine, -race) and never a speed assertion.
const wait = 30 * time.Second

// node is a started broker that counts what it receives and reports.
type node struct {
	b       *nats.Broker
	got     atomic.Int64
	errs    atomic.Int64
	hold    chan struct{} // deliver waits for it to close
	holding sync.Once
	first   chan struct{} // closed at the first delivery
}

func newNode(t *testing.T, url, id string, opts nats.Options) *node {
	t.Helper()
	opts.URL, opts.Prefix = url, "faults"
	b, err := nats.New(&opts)
	require.NoError(t, err)
	n := &node{b: b, hold: make(chan struct{}), first: make(chan struct{})}
	close(n.hold)
	require.NoError(t, b.Start(id, n.deliver, func(err error) { n.errs.Add(1); t.Logf("%s: %v", id, err) }))
	t.Cleanup(func() { _ = b.Close() })
	return n
}

func (n *node) deliver(pubsub.Message) {
	n.holding.Do(func() { close(n.first) })
	<-n.hold
	n.got.Add(1)
}

func (n *node) sync(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, n.b.Sync(ctx))
}

// burst publishes count messages from pub while sub's deliveries are
// held, then releases them, and returns once sub has delivered every
// message it did not report dropped.
func burst(t *testing.T, pub, sub *node, count int) {
	t.Helper()
	sub.hold = make(chan struct{})
	require.NoError(t, sub.b.Subscribe("t"))
	pub.sync(t)
	sub.sync(t)
	for range count {
		require.NoError(t, pub.b.Publish(pubsub.Message{Topic: "t", Data: []byte("burst")}))
	}
	pub.sync(t)
	// A flush on sub's connection comes back after every message the
	// server sent it before; the second Sync counts the drops the first
	// one's flush may not have seen yet.
	sub.sync(t)
	sub.sync(t)
	close(sub.hold)
	deadline := time.Now().Add(wait)
	for sub.got.Load()+int64(sub.b.Stats().Failed) < int64(count) {
		require.True(t, time.Now().Before(deadline), "waiting for %d messages: got %d, %d reported dropped, none coming",
			count, sub.got.Load(), sub.b.Stats().Failed)
		time.Sleep(time.Millisecond)
	}
	t.Logf("burst of %d: %d delivered, stats %+v, %d reports", count, sub.got.Load(), sub.b.Stats(), sub.errs.Load())
	require.Equal(t, int64(count), sub.got.Load()+int64(sub.b.Stats().Failed))
}

// TestBurstNotDroppedSilently sends a burst of 50,000 publishes to a node
// whose Hub is busy: they wait in the receive buffer. nats.go used to
// drop all but 16,384 of them, and nothing was reported.
func TestBurstNotDroppedSilently(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pub := newNode(t, srv.URL(), "pub", nats.Options{QueueSize: 1 << 16})
	sub := newNode(t, srv.URL(), "sub", nats.Options{})
	burst(t, pub, sub, 50000)
	require.Zero(t, sub.b.Stats().Failed, "the default receive buffer holds a burst of 50,000")
}

// TestBurstDropsReported overflows a small receive buffer: every drop is
// counted and reported.
func TestBurstDropsReported(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pub := newNode(t, srv.URL(), "pub", nats.Options{QueueSize: 1 << 16})
	sub := newNode(t, srv.URL(), "sub", nats.Options{ReceiveBuffer: 1000})
	burst(t, pub, sub, 20000)
	require.NotZero(t, sub.b.Stats().Failed, "nothing dropped: the test tested nothing")
	require.NotZero(t, sub.errs.Load(), "drops counted but never reported")
}

// TestOutageReportedOnce publishes at a steady rate through a NATS
// outage: the losses are counted one by one but reported once, not once
// per batch (about 900 Error hook calls in a 2 s outage, before).
func TestOutageReportedOnce(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pub := newNode(t, srv.URL(), "pub", nats.Options{ReconnectWait: 50 * time.Millisecond})
	var sent atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = pub.b.Publish(pubsub.Message{Topic: "t", Data: []byte("x")})
			sent.Add(1)
		}
	}()
	defer func() { close(stop); <-done }()
	waitFor := func(cond func() bool, what string) {
		t.Helper()
		deadline := time.Now().Add(wait)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "waiting for %s", what)
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(func() bool { return sent.Load() > 200 }, "publishes before the outage")
	srv.Kill()
	waitFor(func() bool { return pub.b.Stats().Failed > 0 }, "the first loss")
	n := sent.Load()
	waitFor(func() bool { return sent.Load() > n+2000 }, "publishes during the outage")
	srv.Restart()
	waitFor(func() bool { return pub.b.Stats().Reconnects > 0 }, "the reconnect")
	n = sent.Load()
	waitFor(func() bool { return sent.Load() > n+500 }, "publishes after the outage")
	pub.sync(t)
	t.Logf("stats %+v, %d reports", pub.b.Stats(), pub.errs.Load())
	require.Greater(t, pub.b.Stats().Failed, uint64(100), "the outage lost few publishes: the test tested little")
	// Connection lost, publishes lost, publishing again.
	require.LessOrEqual(t, pub.errs.Load(), int64(3), "one report per outage, not one per batch")
}
