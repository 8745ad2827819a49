package membench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if kind := os.Getenv(serveEnv); kind != "" {
		os.Exit(serveChild(kind))
	}
	goleak.VerifyTestMain(m)
}

// BenchmarkIdle opens MEMBENCH_N idle connections to a fresh server and
// reports its growth per connection: RSS without a forced GC (what an
// operator sees), RSS after a full GC and FreeOSMemory, the Go heap in
// use and goroutine stacks (after the GC), and goroutines.
func BenchmarkIdle(b *testing.B) {
	n := envInt("MEMBENCH_N", 2000)
	for _, kind := range []string{"anyws", "bare"} {
		for _, tr := range transports {
			b.Run(kind+"/"+tr, func(b *testing.B) {
				for range b.N {
					measureIdle(b, kind, tr, n)
				}
			})
		}
	}
}

func measureIdle(b *testing.B, kind, transport string, n int) {
	c := startChild(b, kind, 0)
	defer c.stop()
	base := c.stats(b, true, "")
	baseRSS, _ := c.status(b)
	hc := newHTTPClient(transport)
	closeAll, err := dialIdle(context.Background(), hc, transport, c.addr, n)
	if err != nil {
		b.Fatal(err)
	}
	defer closeAll()
	c.waitPeers(b, n)
	if ping, _ := time.ParseDuration(os.Getenv(pingEnv)); ping > 0 {
		time.Sleep(3*ping + ping/2) // every peer pinged, and ponged, a few times
		if s := c.stats(b, false, ""); s.Peers != n {
			b.Fatalf("membench: %d of %d peers left after the pings", s.Peers, n)
		}
	}
	noGC, _ := c.status(b)
	after := c.stats(b, true, transport)
	gcRSS, _ := c.status(b)
	per := func(v int64) float64 { return float64(v) / float64(n) / 1024 }
	b.ReportMetric(per(noGC-baseRSS), "KiB-rss/conn")
	b.ReportMetric(per(gcRSS-baseRSS), "KiB-rss-gc/conn")
	b.ReportMetric(per(int64(after.HeapInuse)-int64(base.HeapInuse)), "KiB-heap/conn")
	b.ReportMetric(per(int64(after.StackInuse)-int64(base.StackInuse)), "KiB-stack/conn")
	b.ReportMetric(float64(after.Goroutines-base.Goroutines)/float64(n), "goroutines/conn")
}

// BenchmarkChatPeak runs the crossws chat room over WebSocket (32
// clients, each sends batches of 640 short messages; the server echoes
// each to its sender and publishes it to the others; a client sends its
// next batch once the whole round's fan-out arrived) for
// MEMBENCH_ROUNDS rounds and reports the server's peak RSS (VmHWM).
func BenchmarkChatPeak(b *testing.B) {
	rounds := envInt("MEMBENCH_ROUNDS", 6)
	for _, kind := range []string{"anyws", "bare", "direct"} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				measureChat(b, kind, 32, 640, rounds)
			}
		})
	}
}

func measureChat(b *testing.B, kind string, clients, batch, rounds int) {
	c := startChild(b, kind, 4*batch*clients) // two rounds can be in flight for a receiver
	defer c.stop()
	baseRSS, _ := c.status(b)
	hc := newHTTPClient("websocket")
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		ws, _, err := websocket.Dial(ctx, "ws://"+c.addr+"/ws", &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			b.Fatal(err)
		}
		ws.SetReadLimit(-1)
		conns[i] = ws
		defer ws.CloseNow()
	}
	c.waitPeers(b, clients)
	perRound := batch * clients
	profiling := os.Getenv(profileEnv) != ""
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for i, ws := range conns {
		msgs := make([][]byte, batch)
		for j := range msgs {
			msgs[j] = fmt.Appendf(nil, "client %d says hi %d", i, j)
		}
		next := make(chan struct{}, 1)
		next <- struct{}{}
		wg.Add(2)
		go func() { // writer: one batch per round
			defer wg.Done()
			for range rounds {
				select {
				case <-next:
				case <-ctx.Done():
					return
				}
				for _, m := range msgs {
					if err := ws.Write(ctx, websocket.MessageText, m); err != nil {
						errs <- fmt.Errorf("membench: chat write: %w", err)
						return
					}
				}
			}
		}()
		go func() { // reader: the next round once this one arrived
			defer wg.Done()
			for r := range rounds {
				for k := range perRound {
					if _, _, err := ws.Read(ctx); err != nil {
						errs <- fmt.Errorf("membench: chat read in round %d: %w", r, err)
						return
					}
					if profiling && i == 0 && r == rounds/2 && k == perRound/2 {
						go c.profile("chat-mid") // the heap mid-run
					}
				}
				next <- struct{}{}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	_, hwm := c.status(b)
	c.stats(b, false, "chat")
	b.ReportMetric(float64(hwm)/(1<<20), "MB-peak")
	b.ReportMetric(float64(hwm-baseRSS)/(1<<20), "MB-peak-growth")
	b.ReportMetric(float64(perRound*clients*rounds)/elapsed.Seconds(), "msgs/s")
}
