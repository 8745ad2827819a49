package clustertest

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// benchNode is a started broker counting what it receives.
type benchNode struct {
	b      pubsub.Broker
	got    chan pubsub.Message // BenchLatency's
	count  atomic.Int64        // BenchThroughput's
	target int64
	done   chan struct{} // closed when count reaches target
}

// startBench starts b; target > 0 makes it count deliveries instead.
func startBench(tb testing.TB, b pubsub.Broker, i int, target int) *benchNode {
	n := &benchNode{b: b, got: make(chan pubsub.Message, 1), done: make(chan struct{})}
	deliver := func(m pubsub.Message) {
		if n.target == 0 {
			n.got <- m
		} else if n.count.Add(1) == n.target {
			close(n.done)
		}
	}
	n.target = int64(target)
	if err := b.Start("bench-"+strconv.Itoa(i), deliver, func(error) {}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return n
}

func syncAll(tb testing.TB, nodes ...*benchNode) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, n := range nodes {
		if err := n.b.(pubsub.Syncer).Sync(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchThroughput measures messages per second from one node to two
// others (three nodes), each message 128 bytes: b.N publishes, timed
// until both subscribers received them all.
func BenchThroughput(b *testing.B, newBroker func() pubsub.Broker) {
	pub := startBench(b, newBroker(), 0, 0)
	subs := []*benchNode{startBench(b, newBroker(), 1, b.N), startBench(b, newBroker(), 2, b.N)}
	for _, s := range subs {
		_ = s.b.Subscribe("bench")
	}
	syncAll(b, append(subs, pub)...)
	payload := make([]byte, 128)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for pub.b.Publish(pubsub.Message{Topic: "bench", Data: payload}) != nil {
			// The outbound queue is full: let the sender catch up.
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			err := pub.b.(pubsub.Syncer).Sync(ctx)
			cancel()
			if err != nil {
				b.Fatalf("publisher stuck: %v (%d of %d published)", err, i, b.N)
			}
		}
	}
	for _, s := range subs {
		select {
		case <-s.done:
		case <-time.After(wait):
			b.Fatalf("timed out: %d of %d messages arrived (the rest were lost)", s.count.Load(), b.N)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchLatency measures the one-way latency a broker adds: half the
// round trip of a message bounced between two nodes. On one node a
// publish reaches local subscribers in-process, so this is what crossing
// nodes costs.
func BenchLatency(b *testing.B, newBroker func() pubsub.Broker) {
	x, y := startBench(b, newBroker(), 0, 0), startBench(b, newBroker(), 1, 0)
	_ = x.b.Subscribe("pong")
	_ = y.b.Subscribe("ping")
	syncAll(b, x, y)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_ = x.b.Publish(pubsub.Message{Topic: "ping", Data: []byte("p")})
		select {
		case <-y.got:
		case <-time.After(wait):
			b.Fatal("ping lost")
		}
		_ = y.b.Publish(pubsub.Message{Topic: "pong", Data: []byte("p")})
		select {
		case <-x.got:
		case <-time.After(wait):
			b.Fatal("pong lost")
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/2, "µs/one-way")
}
