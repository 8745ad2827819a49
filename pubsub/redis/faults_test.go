package redis_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// wait bounds each wait of these tests; it is generous (a loaded 2-core
// machine, -race) and never a speed assertion.
const wait = 30 * time.Second

// tally is a node that counts what it receives, by payload.
type tally struct {
	b      *redis.Broker
	mu     sync.Mutex
	got    map[string]int
	errs   atomic.Int64
	marker chan struct{} // receives one value per "end" message
}

func newTally(t *testing.T, url, prefix, id string, opts *redis.Options) *tally {
	t.Helper()
	if opts == nil {
		opts = &redis.Options{}
	}
	opts.URL, opts.Prefix = url, prefix
	b, err := redis.New(opts)
	require.NoError(t, err)
	n := &tally{b: b, got: make(map[string]int), marker: make(chan struct{}, 16)}
	require.NoError(t, b.Start(id, n.deliver, func(error) { n.errs.Add(1) }))
	t.Cleanup(func() { _ = b.Close() })
	return n
}

func (n *tally) deliver(m pubsub.Message) {
	if string(m.Data) == "end" {
		n.marker <- struct{}{}
		return
	}
	n.mu.Lock()
	n.got[string(m.Data)]++
	n.mu.Unlock()
}

func syncAll(t *testing.T, nodes ...*tally) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, n := range nodes {
		require.NoError(t, n.b.Sync(ctx))
	}
}

// finish sends the end marker from pub until sub receives it: Redis runs
// one node's publishes in order, so everything pub sent before it has
// arrived or is lost by then.
func finish(t *testing.T, pub, sub *tally) {
	t.Helper()
	deadline := time.After(wait)
	for {
		syncAll(t, pub, sub)
		require.NoError(t, pub.b.Publish(pubsub.Message{Topic: "t", Data: []byte("end")}))
		syncAll(t, pub)
		select {
		case <-sub.marker:
			return
		case <-time.After(time.Second): // the marker itself may be lost in a settling outage
		case <-deadline:
			require.FailNow(t, "the end marker never arrived")
		}
	}
}

// check counts what sub got of the n messages pub published: none twice,
// and every one missing reported by pub.
func check(t *testing.T, pub, sub *tally, n int) (lost, dup int) {
	t.Helper()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for i := range n {
		switch c := sub.got[strconv.Itoa(i)]; {
		case c == 0:
			lost++
		case c > 1:
			dup += c - 1
		}
	}
	st := pub.b.Stats()
	t.Logf("%d published: %d lost, %d delivered twice; publisher Stats %+v, %d Error hook calls", n, lost, dup, st, pub.errs.Load())
	require.Zero(t, dup, "messages delivered twice: delivery must be at most once")
	require.LessOrEqual(t, uint64(lost), st.Failed, "messages lost without being reported")
	if lost > 0 {
		require.NotZero(t, pub.errs.Load(), "losses never reported to the fail callback")
	}
	return lost, dup
}

// TestOutageLossesReported kills Redis for a couple of seconds while a
// node publishes at a steady rate. Every publish another node missed must
// be reported: once, before the fix, those sent after Redis came back
// but before the other node had resubscribed were silently lost.
func TestOutageLossesReported(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	prefix := "outage:"
	pub := newTally(t, srv.URL(), prefix, "pub", nil)
	sub := newTally(t, srv.URL(), prefix, "sub", nil)
	require.NoError(t, sub.b.Subscribe("t"))
	syncAll(t, pub, sub)

	var sent atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = pub.b.Publish(pubsub.Message{Topic: "t", Data: []byte(strconv.Itoa(i))})
			sent.Add(1)
		}
	}()
	waitSent := func(n int64, what string) {
		t.Helper()
		deadline := time.Now().Add(wait)
		for sent.Load() < n {
			require.True(t, time.Now().Before(deadline), "waiting for %s", what)
			time.Sleep(time.Millisecond)
		}
	}
	waitSent(1000, "publishes before the outage")
	srv.Kill()
	waitSent(sent.Load()+3000, "publishes during the outage")
	srv.Restart()
	deadline := time.Now().Add(wait)
	for pub.b.Stats().Reconnects == 0 || sub.b.Stats().Reconnects == 0 {
		require.True(t, time.Now().Before(deadline), "waiting for both nodes to reconnect")
		time.Sleep(time.Millisecond)
	}
	waitSent(sent.Load()+3000, "publishes after the outage")
	close(stop)
	<-done
	finish(t, pub, sub)
	lost, _ := check(t, pub, sub, int(sent.Load()))
	require.NotZero(t, lost, "the outage lost nothing: the test did not test anything")
}

// TestDroppedConnectionsNoDuplicates kills the publishing connections
// (CLIENT KILL TYPE normal) again and again while a node publishes as
// fast as it can. go-redis used to run again a whole pipeline whose
// connection broke, so the publishes Redis had already run reached the
// other node twice.
func TestDroppedConnectionsNoDuplicates(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	prefix := "dup:"
	pub := newTally(t, srv.URL(), prefix, "pub", &redis.Options{QueueSize: 1 << 16})
	sub := newTally(t, srv.URL(), prefix, "sub", nil)
	require.NoError(t, sub.b.Subscribe("t"))
	syncAll(t, pub, sub)

	o, err := goredis.ParseURL(srv.URL())
	require.NoError(t, err)
	killer := goredis.NewClient(o)
	defer killer.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	var kills atomic.Int64
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n, err := killer.ClientKillByFilter(context.Background(), "TYPE", "normal", "SKIPME", "yes").Result(); err == nil {
				kills.Add(n)
			}
			time.Sleep(2 * time.Millisecond) // a kill storm, not a wall: most publishes go through
		}
	}()
	const n, batch = 20000, 50
	for i := range n {
		_ = pub.b.Publish(pubsub.Message{Topic: "t", Data: []byte(strconv.Itoa(i))})
		if i%batch == batch-1 {
			syncAll(t, pub) // pipelines of about batch publishes
		}
	}
	close(stop)
	<-done
	t.Logf("%d connections killed", kills.Load())
	finish(t, pub, sub)
	check(t, pub, sub, n)
}
