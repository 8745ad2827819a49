package clustertest

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	ws "github.com/coder/websocket"
)

// hubBench is three Hubs on one bus, a WebSocket client on each
// subscribed to "bench", counting what it reads.
type hubBench struct {
	nodes   []*Node
	clients []*ws.Conn
	counts  []atomic.Int64
}

func newHubBench(b *testing.B, newBroker func() pubsub.Broker) *hubBench {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	h := &hubBench{counts: make([]atomic.Int64, 3)}
	for range 3 {
		h.nodes = append(h.nodes, NewNode(b, newBroker(), "bench"))
	}
	for _, n := range h.nodes {
		c, _, err := ws.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/ws", nil)
		if err != nil {
			b.Fatal(err)
		}
		c.SetReadLimit(-1)
		h.clients = append(h.clients, c)
		recv(b, n.Opened, "Open")
	}
	Sync(b, h.nodes...)
	b.Cleanup(func() {
		for _, c := range h.clients {
			_ = c.CloseNow()
		}
	})
	return h
}

// count reads client i's messages until it fails.
func (h *hubBench) count(i int) {
	for {
		if _, _, err := h.clients[i].Read(context.Background()); err != nil {
			return
		}
		h.counts[i].Add(1)
	}
}

func (h *hubBench) least() int64 {
	m := h.counts[0].Load()
	for i := range h.counts[1:] {
		m = min(m, h.counts[i+1].Load())
	}
	return m
}

// BenchHubThroughput measures messages per second through three Hubs:
// b.N publishes of 128 bytes with Hub.Publish on one node, each read by
// a WebSocket client on every node (three deliveries per publish, two
// of them across the broker), at most window publishes not yet read by
// every client (the peers' queues stay bounded), timed until the last
// client read the last one.
func BenchHubThroughput(b *testing.B, newBroker func() pubsub.Broker) {
	const window = 2000
	h := newHubBench(b, newBroker)
	done := make(chan struct{})
	for i := range h.clients {
		go func() { h.count(i); done <- struct{}{} }()
	}
	defer func() {
		for _, c := range h.clients {
			_ = c.CloseNow()
		}
		for range h.clients {
			<-done
		}
	}()
	payload := strings.Repeat("x", 128)
	deadline := time.Now().Add(4 * wait)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for int64(i)-h.least() >= window {
			if time.Now().After(deadline) {
				b.Fatalf("stuck: %d published, the slowest client read %d", i, h.least())
			}
			time.Sleep(50 * time.Microsecond)
		}
		if err := h.nodes[0].Hub.Publish("bench", payload); err != nil {
			b.Fatal(err)
		}
	}
	for h.least() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("timed out: the slowest client read %d of %d (the rest were lost: see the Error hook)", h.least(), b.N)
		}
		time.Sleep(50 * time.Microsecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchHubLatency measures the time from Hub.Publish on one node to a
// WebSocket client of another node reading the message, one message at
// a time.
func BenchHubLatency(b *testing.B, newBroker func() pubsub.Broker) {
	h := newHubBench(b, newBroker)
	ctx, cancel := context.WithTimeout(context.Background(), 4*wait)
	defer cancel()
	done := make(chan struct{})
	for _, i := range []int{0, 2} { // the others read too, unmeasured
		go func() { h.count(i); done <- struct{}{} }()
	}
	defer func() {
		_ = h.clients[0].CloseNow()
		_ = h.clients[2].CloseNow()
		<-done
		<-done
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := h.nodes[0].Hub.Publish("bench", "p"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := h.clients[1].Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/publish")
}
