package otel_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	anywsotel "github.com/anyws/anyws/metrics/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// countConn counts what the core writes: the benchmark measures the
// core and the metrics, no network.
type countConn struct {
	n atomic.Int64
	s *anyws.Session
}

func (c *countConn) Write(b anyws.Batch) error                 { c.n.Add(int64(len(b.Payloads))); return nil }
func (c *countConn) WriteClose(anyws.StatusCode, string) error { return nil }
func (c *countConn) KeepAlive() error                          { return nil }
func (c *countConn) Abort()                                    {}

// BenchmarkHubPublish is anyws's BenchmarkHubPublish without metrics
// and with these: the target is within 5%.
func BenchmarkHubPublish(b *testing.B) {
	for _, n := range []int{1, 100} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprint("subscribers=", n, "/otel=", on), func(b *testing.B) {
				opts := &anyws.Options{}
				if on {
					m, err := anywsotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))
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
					c.s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
				}
			})
		}
	}
}

// BenchmarkObserve is the Metrics calls on the hot paths: Published on
// every publish, BatchWritten on every write.
func BenchmarkObserve(b *testing.B) {
	m, err := anywsotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Metrics.Published", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.Published(i & 127)
		}
	})
	b.Run("Metrics.BatchWritten", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.BatchWritten("websocket", 1, 39, time.Duration(i&1023)*time.Microsecond)
		}
	})
	// The fan-out histogram dropped by a view, as docs/performance.md
	// suggests where a publish's cost matters.
	b.Run("Metrics.Published/dropped", func(b *testing.B) {
		drop := sdkmetric.NewView(sdkmetric.Instrument{Name: "anyws.publish.fanout"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
		m, err := anywsotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()), sdkmetric.WithView(drop)))
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			m.Published(i & 127)
		}
	})
}
