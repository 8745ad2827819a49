package anyws_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
)

// lowRateConn counts deliveries into a counter shared by all
// subscribers and signals when a publish has reached them all.
type lowRateConn struct {
	left *atomic.Int64
	done chan struct{}
}

func (c *lowRateConn) Write(b anyws.Batch) error {
	if len(b.Payloads) > 0 && c.left.Add(-int64(len(b.Payloads))) == 0 {
		c.done <- struct{}{}
	}
	return nil
}
func (c *lowRateConn) WriteClose(anyws.StatusCode, string) error { return nil }
func (c *lowRateConn) KeepAlive() error                          { return nil }
func (c *lowRateConn) Abort()                                    {}

// BenchmarkPublishLowRate is the core's share of a low-rate fan-out
// (issue 15: CPU per delivery at 10 and 50 events/s): each publish
// reaches 1,000 subscribers whose writers are idle, waiting for it, and
// the next is published once all have written it. It measures the wake
// of each writer, the queue and the writer's pass, without a network
// (cmd/anyws-bench's low-rate scenario measures them with it); cpu-ns
// per delivery is the figure to compare. back-to-back publishes again
// at once; 10/s and 50/s wait between publishes as the scenario does,
// so what runs on the clock (the writers' linger, keep-alives) counts
// too (b.N is small there: -benchtime 10x or more).
func BenchmarkPublishLowRate(b *testing.B) {
	for _, c := range []struct {
		name string
		gap  time.Duration
	}{{"back-to-back", 0}, {"10/s", 100 * time.Millisecond}, {"50/s", 20 * time.Millisecond}} {
		b.Run(c.name, func(b *testing.B) { benchmarkPublishLowRate(b, c.gap) })
	}
}

func benchmarkPublishLowRate(b *testing.B, gap time.Duration) {
	const n = 1000
	hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("room") }}, nil)
	defer hub.Close()
	var left atomic.Int64
	done := make(chan struct{}, 1)
	sessions := make([]*anyws.Session, n)
	for i := range sessions {
		hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		if sessions[i], err = hub.Attach(hs, &lowRateConn{left: &left, done: done}, &anyws.AttachOptions{KeepAlive: 15 * time.Second} /* the SSE adapter's default */); err != nil {
			b.Fatal(err)
		}
	}
	defer func() {
		for _, s := range sessions {
			s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
		}
	}()
	msg := anyws.Text(`{"user":"alice","text":"hello, world"}`)
	publish := func() {
		left.Store(n)
		if err := hub.Publish("room", msg); err != nil {
			b.Fatal(err)
		}
		<-done
	}
	publish() // every writer has written once since its connection's first write: they linger now
	publish()
	b.ReportAllocs()
	cpu, ops := cpuTime(), 0
	next := time.Now()
	for b.Loop() {
		if gap > 0 {
			next = next.Add(gap)
			time.Sleep(time.Until(next))
		}
		publish()
		ops++
	}
	reportCPU(b, cpu, ops*n)
}
