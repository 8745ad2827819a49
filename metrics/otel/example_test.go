package otel_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	anywsotel "github.com/anyws/anyws/metrics/otel"
	"github.com/coder/websocket"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A WebSocket client gets a publish, sends a message that the server
// echoes, and leaves; then the OpenTelemetry SDK collects what was
// recorded.
func Example() {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	metrics, err := anywsotel.New(provider)
	if err != nil {
		panic(err)
	}
	opened, closed := make(chan struct{}), make(chan struct{})
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("room"); close(opened) },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send("echo: " + m.Text()) },
		Close:   func(*anyws.Peer, anyws.CloseInfo) { close(closed) },
	}, &anyws.Options{Metrics: metrics})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	defer srv.Close()
	defer hub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		panic(err)
	}
	defer c.CloseNow()
	<-opened
	_ = hub.Publish("room", "hello")
	_ = c.Write(ctx, websocket.MessageText, []byte("hi"))
	for range 2 {
		if _, _, err := c.Read(ctx); err != nil {
			panic(err)
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "bye")
	<-closed

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, line := range render(rm) {
		fmt.Println(line)
	}
	// Output:
	// anyws.connects{transport=websocket} 1
	// anyws.disconnects{code=1000,transport=websocket} 1
	// anyws.peers{transport=websocket} 0
	// anyws.publish.fanout count=1 sum=1
	// anyws.received.bytes{transport=websocket} 2
	// anyws.received.messages{transport=websocket} 1
	// anyws.sent.bytes{transport=websocket} 13
	// anyws.sent.messages{transport=websocket} 2
	// anyws.write.duration{transport=websocket} count>=1
}

// render prints every data point, sorted: sums as values, histograms
// as count and sum (write durations vary: only whether there were any).
func render(rm metricdata.ResourceMetrics) []string {
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s %d", m.Name, labels(p.Attributes.ToSlice()), p.Value))
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s count=%d sum=%d", m.Name, labels(p.Attributes.ToSlice()), p.Count, p.Sum))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s count>=%d", m.Name, labels(p.Attributes.ToSlice()), min(p.Count, 1)))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
