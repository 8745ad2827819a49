package websocket_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
)

// BenchmarkPongWhileStreaming measures a client's ping round trip while
// the server streams 16 KiB messages in bursts of 32 as fast as the
// client reads them, through anyws and through a bare coder/websocket
// server writing the same messages one by one (the control). It reports
// the round trip's p50, p90 and p99 in µs; ns/op is one round trip.
//
//	go test -run '^$' -bench PongWhileStreaming -benchtime 2000x ./adapters/websocket/
func BenchmarkPongWhileStreaming(b *testing.B) {
	b.Run("anyws", func(b *testing.B) {
		hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { go streamBig(p) }}, nil)
		srv := httptest.NewServer(wsadapter.New(hub, &wsadapter.Options{DisableCompression: true}))
		defer srv.Close()
		defer hub.Close()
		benchPings(b, srv.URL)
	})
	b.Run("bare", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
			if err != nil {
				return
			}
			ctx := c.CloseRead(context.Background()) // answers pings
			msg := []byte(strings.Repeat("z", 16<<10))
			for ctx.Err() == nil {
				if c.Write(ctx, websocket.MessageText, msg) != nil {
					break
				}
			}
			_ = c.CloseNow()
		}))
		defer srv.Close()
		benchPings(b, srv.URL)
	})
}

func benchPings(b *testing.B, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	readCtx, stop := context.WithCancel(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			if _, _, err := c.Read(readCtx); err != nil {
				return
			}
		}
	}()
	rtt := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := c.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		rtt = append(rtt, time.Since(start))
	}
	b.StopTimer()
	stop()
	<-read
	slices.Sort(rtt)
	q := func(f float64) float64 { return float64(rtt[int(f*float64(len(rtt)-1))]) / 1e3 }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.9), "p90-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
