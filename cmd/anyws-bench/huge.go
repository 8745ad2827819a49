package main

import (
	"fmt"
	"time"
)

// runHugeScenario is -scenarios huge: n connections (default 100,000),
// every other one WebSocket, the others SSE over HTTP/1.1, spread over
// the 127.0.0.x source addresses; the connect rate, the server's RSS per
// connection (no forced GC), and the latency of a broadcast to all of
// them: 3 events, one a second, each checked to arrive at every
// subscriber, in order. Only implementations that serve both transports
// from one server run it (anyws, centrifuge).
func runHugeScenario(r *runner, n int) error {
	const events = 3
	name := fmt.Sprintf("huge, %d connections (half WebSocket, half SSE), %d events at 1/s", n, events)
	return r.run(cell{
		transport: "mixed", queue: 32, wt: 10 * time.Second,
		supports: func(i implInfo) bool { return i.serves("websocket") && i.serves("sse") },
		rows: []row{
			{scenario: name, metric: "connections/s", higherBetter: true},
			{scenario: name, metric: "server RSS KiB/conn (no forced GC)"},
			{scenario: name, metric: "p50 latency ms"},
			{scenario: name, metric: "p99 latency ms"},
		},
		fn: func(s *server) ([]float64, error) {
			res, err := runBroadcast(s, broadcastConfig{transport: "mixed", subs: n, events: events, size: 64, rate: 1, connect: true}, 15*time.Minute)
			if err == nil {
				err = checkDelivery(res)
			}
			return []float64{res.connectRate, res.rssPerConn / 1024, ms(res.p50), ms(res.p99)}, err
		},
	})
}
