package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// runHugeScenario is -scenarios huge: n connections (default 100,000),
// every other one WebSocket, the others SSE over HTTP/1.1, spread over
// the 127.0.0.x source addresses; the connect rate, the server's RSS per
// connection (no forced GC), and the latency of a broadcast to all of
// them: 3 events, one a second, each checked to arrive at every
// subscriber, in order. Only implementations that serve both transports
// from one server run it (anyws, centrifuge).
// With nodes > 0 it is the multi-node run instead (runHugeNodes), anyws
// only.
func runHugeScenario(r *runner, n, nodes int) error {
	const events = 3
	if nodes > 0 {
		return runHugeNodesScenario(r, n, nodes, events)
	}
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

// runHugeNodesScenario is the multi-node huge run as rows of the table:
// anyws only (the controls have no broker here), a note says how it ran.
func runHugeNodesScenario(r *runner, n, nodes, events int) error {
	if r.o.transports != nil && !r.o.transports["mixed"] {
		return nil
	}
	broker := "Redis"
	if r.o.hugeHistory {
		broker = "Redis with history and peer records"
	}
	name := fmt.Sprintf("huge, %d connections on %s + %s (half WebSocket, half SSE), %d events at 1/s", n, plural(nodes, "anyws node"), broker, events)
	rows := []row{
		{scenario: name, metric: "connections/s", higherBetter: true},
		{scenario: name, metric: "nodes' RSS KiB/conn (no forced GC)"},
		{scenario: name, metric: "p50 latency ms"},
		{scenario: name, metric: "p99 latency ms"},
	}
	res, err := runHugeNodes(hugeNodesConfig{conns: n, nodes: nodes, events: events, rate: 1, timeout: 15 * time.Minute, history: r.o.hugeHistory})
	if err == nil {
		err = checkDelivery(broadcastResult{lost: res.lost, reordered: res.reordered})
	}
	vs := []float64{res.connectRate, res.rssPerConn / 1024, ms(res.p50), ms(res.p99)}
	if err != nil {
		r.failed++
		r.t.note(fmt.Sprintf("✗ %s, anyws: %v", name, err))
		for i := range vs {
			vs[i] = math.NaN()
		}
	} else {
		var events []string
		for e, q := range res.byEvent {
			events = append(events, fmt.Sprintf("event %d %.0f / %.0f / %.0f ms", e, ms(q[0]), ms(q[1]), ms(q[2])))
		}
		r.t.note(fmt.Sprintf("%s: %s (anyws Hubs sharing a Redis broker), one client process each; published through one node; %d deliveries, 0 lost, 0 reordered; the nodes' RSS in all %.0f MiB; latency p50 / p99 / max by event: %s; CPU per delivery during the broadcast: nodes %.1f µs, client processes %.1f µs; anyws only (the controls run the single-process huge run, up to %d connections)",
			name, plural(nodes, "node process"), res.delivered, float64(res.rssTotal)/(1<<20), strings.Join(events, ", "), float64(res.nodesCPU)/1e3, float64(res.clientsCPU)/1e3, hugePerProcess))
	}
	for i := range rows {
		rows[i].transport = "mixed"
		rows[i].values = map[string]float64{"anyws": vs[i]}
		r.t.add(rows[i])
	}
	return nil
}

// plural is "1 node" or "6 nodes".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
