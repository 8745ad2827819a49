package prometheus_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	anywsprom "github.com/anyws/anyws/metrics/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
)

// countConn counts what the core writes: the benchmark measures the
// core and the metrics, no network.
type countConn struct {
	n, writes atomic.Int64
	s         *anyws.Session
}

func (c *countConn) Write(b anyws.Batch) error {
	c.n.Add(int64(len(b.Payloads)))
	c.writes.Add(1)
	return nil
}

func (c *countConn) WriteClose(anyws.StatusCode, string) error { return nil }
func (c *countConn) KeepAlive() error                          { return nil }
func (c *countConn) Abort()                                    {}

// BenchmarkHubPublish is anyws's BenchmarkHubPublish without metrics
// and with these: the target is within 5%. Besides ns/op it reports
// cpu-ns/op, the process's CPU time per publish until every subscriber
// got it (the writes included), which a busy machine disturbs less.
func BenchmarkHubPublish(b *testing.B) {
	for _, n := range []int{1, 100} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprint("subscribers=", n, "/prometheus=", on), func(b *testing.B) {
				opts := &anyws.Options{}
				if on {
					m, err := anywsprom.New(prom.NewRegistry())
					if err != nil {
						b.Fatal(err)
					}
					opts.Metrics = m
				}
				hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("room") }}, opts)
				defer hub.Close()
				conns := make([]*countConn, n)
				for i := range conns {
					hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "bench", nil)
					if err != nil {
						b.Fatal(err)
					}
					c := &countConn{}
					if c.s, err = hub.Attach(hs, c, nil); err != nil {
						b.Fatal(err)
					}
					conns[i] = c
				}
				msg := anyws.Text(`{"user":"alice","text":"hello, world"}`)
				b.ReportAllocs()
				sent := 0
				cpu := cpuTime()
				for b.Loop() {
					if err := hub.Publish("room", msg); err != nil {
						b.Fatal(err)
					}
					sent++
				}
				deadline := time.Now().Add(time.Minute)
				for _, c := range conns {
					for c.n.Load() != int64(sent) {
						if time.Now().After(deadline) {
							b.Fatalf("a subscriber got %d messages, want %d", c.n.Load(), sent)
						}
						time.Sleep(time.Millisecond)
					}
				}
				// Every write is done: what it cost counts too.
				reportCPU(b, cpu, sent)
				var writes int64
				for _, c := range conns {
					writes += c.writes.Load()
				}
				// Each write is one BatchWritten (and two clock reads).
				b.ReportMetric(float64(writes)/float64(sent), "writes/op")
				for _, c := range conns {
					c.s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
				}
			})
		}
	}
}

// BenchmarkObserve is one publish's fan-out observation: a
// prom.Histogram (what Metrics used before) against hist.
func BenchmarkObserve(b *testing.B) {
	b.Run("prom.Histogram", func(b *testing.B) {
		h := prom.NewHistogram(prom.HistogramOpts{Name: "h", Help: "h", Buckets: anywsprom.FanoutBuckets})
		for i := 0; b.Loop(); i++ {
			h.Observe(float64(i & 127))
		}
	})
	b.Run("Metrics.Published", func(b *testing.B) {
		m, err := anywsprom.New(prom.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			m.Published(i & 127)
		}
	})
	b.Run("Metrics.BatchWritten", func(b *testing.B) {
		m, err := anywsprom.New(prom.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			m.BatchWritten("websocket", 1, 39, time.Duration(i&1023)*time.Microsecond)
		}
	})
}
