package prometheus_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	anywsprom "github.com/anyws/anyws/metrics/prometheus"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A WebSocket client and an SSE client each get a publish and send a
// message that the server echoes; the WebSocket client leaves and the
// server closes the SSE peer. Then /metrics is scraped and parsed as
// Prometheus parses it.
func Example() {
	reg := prom.NewRegistry()
	metrics, err := anywsprom.New(reg)
	if err != nil {
		panic(err)
	}
	opened, closed := make(chan struct{}, 2), make(chan struct{}, 2)
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("room"); opened <- struct{}{} },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send("echo: " + m.Text()) },
		Close:   func(*anyws.Peer, anyws.CloseInfo) { closed <- struct{}{} },
	}, &anyws.Options{Metrics: metrics})
	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, nil))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer hub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/_ws", nil)
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()
	sse, _, err := websocketsse.Dial(ctx, srv.URL+"/_ws", nil)
	if err != nil {
		panic(err)
	}
	defer sse.CloseNow()
	<-opened
	<-opened

	_ = hub.Publish("room", "hello")
	_ = ws.Write(ctx, websocket.MessageText, []byte("hi"))
	_ = sse.Write(ctx, websocket.MessageText, []byte("yo"))
	for _, c := range []interface {
		Read(context.Context) (websocket.MessageType, []byte, error)
	}{ws, sse} {
		for range 2 {
			if _, msg, err := c.Read(ctx); err != nil {
				panic(err)
			} else {
				_ = msg // "hello", then the echo
			}
		}
	}
	_ = ws.Close(websocket.StatusNormalClosure, "bye") // the client closes
	<-closed
	for _, p := range hub.Peers() {
		_ = p.Close(4000, "bye") // the server closes the SSE peer
	}
	<-closed

	families := scrape(srv.URL + "/metrics")
	for _, name := range []string{
		"anyws_connects_total", "anyws_peers", "anyws_disconnects_total",
		"anyws_received_messages_total", "anyws_received_bytes_total",
		"anyws_sent_messages_total", "anyws_sent_bytes_total",
		"anyws_publish_fanout", "anyws_write_duration_seconds",
	} {
		for _, line := range series(families[name]) {
			fmt.Println(name + line)
		}
	}
	// Output:
	// anyws_connects_total{transport="sse"} 1
	// anyws_connects_total{transport="websocket"} 1
	// anyws_peers{transport="sse"} 0
	// anyws_peers{transport="websocket"} 0
	// anyws_disconnects_total{code="1000",transport="websocket"} 1
	// anyws_disconnects_total{code="4000",transport="sse"} 1
	// anyws_received_messages_total{transport="sse"} 1
	// anyws_received_messages_total{transport="websocket"} 1
	// anyws_received_bytes_total{transport="sse"} 2
	// anyws_received_bytes_total{transport="websocket"} 2
	// anyws_sent_messages_total{transport="sse"} 2
	// anyws_sent_messages_total{transport="websocket"} 2
	// anyws_sent_bytes_total{transport="sse"} 13
	// anyws_sent_bytes_total{transport="websocket"} 13
	// anyws_publish_fanout count=1 sum=2
	// anyws_write_duration_seconds{transport="sse"} count>=1
	// anyws_write_duration_seconds{transport="websocket"} count>=1
}

// scrape GETs url and parses the Prometheus text format.
func scrape(url string) map[string]*dto.MetricFamily {
	res, err := http.Get(url)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		panic(err)
	}
	return families
}

// series renders a family's series, sorted: `{labels} value` for
// counters and gauges, count and sum for histograms (write durations
// vary, so only whether there were any).
func series(f *dto.MetricFamily) []string {
	var out []string
	for _, m := range f.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		s := ""
		if len(labels) > 0 {
			s = "{" + strings.Join(labels, ",") + "}"
		}
		switch {
		case m.Counter != nil:
			s += fmt.Sprint(" ", m.Counter.GetValue())
		case m.Gauge != nil:
			s += fmt.Sprint(" ", m.Gauge.GetValue())
		case f.GetName() == "anyws_write_duration_seconds":
			s += fmt.Sprint(" count>=", min(m.Histogram.GetSampleCount(), 1))
		case m.Histogram != nil:
			s += fmt.Sprintf(" count=%d sum=%g", m.Histogram.GetSampleCount(), m.Histogram.GetSampleSum())
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
