package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// cell is one scenario on one transport, run for anyws and for every
// control that supports it.
type cell struct {
	transport string
	supports  func(implInfo) bool
	queue     int           // per-connection queue bound, in messages
	sndbuf    int           // the server sockets' SO_SNDBUF (0: kernel default)
	wt        time.Duration // write timeout
	rows      []row         // scenario, metric and direction; fn fills the values in this order
	fn        func(s *server) ([]float64, error)
}

// runner runs cells, each implementation in a child process of its own,
// one after the other, rotating the order from cell to cell so that no
// implementation always runs first (or last) on a warming machine.
type runner struct {
	o      options
	t      *table
	turn   int
	failed int // runs that failed: ✗ in the table, the error in a note
}

func (r *runner) run(c cell) error {
	if r.o.transports != nil && !r.o.transports[c.transport] {
		return nil // -transports left it out
	}
	var names []string
	for _, n := range append([]string{"anyws"}, r.o.controls...) {
		info, err := lookupImpl(n)
		if err != nil {
			return err
		}
		if c.supports(info) {
			names = append(names, n)
		}
	}
	k := r.turn % len(names)
	names = append(names[k:], names[:k]...)
	r.turn++
	for i := range c.rows {
		c.rows[i].transport = c.transport
		c.rows[i].values = map[string]float64{}
	}
	for _, n := range names {
		vs, err := r.runOne(n, c)
		if err != nil {
			// One failed run (an event lost, a server that would not
			// start) does not end a run of many minutes: the table shows
			// ✗, a note says why, and the tool exits with status 1.
			r.failed++
			r.t.note(fmt.Sprintf("✗ %s over %s, %s: %v", c.rows[0].scenario, c.transport, n, err))
			for i := range c.rows {
				c.rows[i].values[n] = math.NaN()
			}
			continue
		}
		for i, v := range vs {
			c.rows[i].values[n] = v
		}
	}
	for _, rw := range c.rows {
		r.t.add(rw)
	}
	return nil
}

// runOne runs c's fn against implementation n in a child of its own.
func (r *runner) runOne(n string, c cell) ([]float64, error) {
	s, err := startServer(serverConfig{impl: n, queue: c.queue, sndbuf: c.sndbuf, writeTimeout: c.wt})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	return c.fn(s)
}

func serves(tr string) func(implInfo) bool { return func(i implInfo) bool { return i.serves(tr) } }
func chats(tr string) func(implInfo) bool  { return func(i implInfo) bool { return i.chats(tr) } }

// run runs the chosen scenarios and returns how many runs failed.
func run(o options, t *table) (failed int, err error) {
	r := &runner{o: o, t: t}
	defer func() { failed = r.failed }()
	costRows := func(scenario, per string) []row {
		return []row{
			{scenario: scenario, metric: "server CPU µs/" + per},
			{scenario: scenario, metric: "server write calls/" + per},
		}
	}
	costValues := func(c cost) []float64 {
		return []float64{float64(c.cpuPerMsg) / float64(time.Microsecond), c.writesPerMsg}
	}
	const wt = 10 * time.Second

	if o.scenarios["chat"] {
		for _, n := range o.clients {
			for _, tr := range []string{"websocket", "sse"} {
				name := fmt.Sprintf("chat, %d clients", n)
				rows := append([]row{{scenario: name, metric: "msgs/s (median)", higherBetter: true}}, costRows(name, "msg")...)
				rows = append(rows, row{scenario: name, metric: "server peak RSS MiB"})
				err := r.run(cell{
					// Two rounds can be in flight for a receiver: the queue holds both.
					transport: tr, supports: chats(tr), queue: 4 * o.batch * n, wt: wt, rows: rows,
					fn: func(s *server) ([]float64, error) {
						res, err := runChat(s, tr, n, o.batch, o.windows)
						if err != nil {
							return nil, err
						}
						st, err := s.stats(false)
						return append(append([]float64{res.median}, costValues(res.cost)...), float64(st.PeakRSS)/(1<<20)), err
					},
				})
				if err != nil {
					return 0, err
				}
			}
		}
	}
	if o.scenarios["broadcast"] {
		for _, tr := range []string{"sse", "websocket"} {
			for _, n := range o.subs {
				events := min(max(o.deliveries/n, 20), 4000)
				name := fmt.Sprintf("broadcast, %d subscribers, %d events", n, events)
				err := r.run(cell{
					transport: tr, supports: serves(tr), queue: 4096, wt: wt,
					rows: append([]row{{scenario: name, metric: "deliveries/s", higherBetter: true}}, costRows(name, "delivery")...),
					fn: func(s *server) ([]float64, error) {
						res, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, events: events, size: 64}, 5*time.Minute)
						if err == nil {
							err = checkDelivery(res)
						}
						return append([]float64{res.perSecond}, costValues(res.cost)...), err
					},
				})
				if err != nil {
					return 0, err
				}
			}
		}
	}
	if o.scenarios["lowrate"] {
		n := o.lowrateSubs
		for _, tr := range []string{"sse", "websocket", "sse-h2"} {
			for _, rate := range o.rates {
				events := max(rate*o.seconds, 10)
				name := fmt.Sprintf("low rate, %d subscribers, %d events/s", n, rate)
				err := r.run(cell{
					transport: tr, supports: serves(tr), queue: 4096, wt: wt,
					rows: []row{
						{scenario: name, metric: "server CPU µs/delivery"},
						{scenario: name, metric: "p50 latency ms"},
						{scenario: name, metric: "p99 latency ms"},
					},
					fn: func(s *server) ([]float64, error) {
						res, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, events: events, size: 64, rate: float64(rate)}, 5*time.Minute)
						if err == nil {
							err = checkDelivery(res)
						}
						return []float64{float64(res.cost.cpuPerMsg) / float64(time.Microsecond), ms(res.p50), ms(res.p99)}, err
					},
				})
				if err != nil {
					return 0, err
				}
			}
		}
	}
	if o.scenarios["stall"] {
		n, rate := 1000, 50
		stalled := n / 100
		events := rate * o.stallSeconds
		for _, tr := range []string{"sse", "websocket"} {
			for _, st := range []int{0, stalled} {
				closed := map[string]int{}
				err := r.run(cell{
					transport: tr, queue: 256, sndbuf: 64 << 10, wt: 5 * time.Second,
					supports: func(i implInfo) bool { return i.stall && i.serves(tr) },
					rows:     []row{{scenario: fmt.Sprintf("broadcast, %d subscribers + %d stalled, 512 B at %d/s", n, st, rate), metric: "p99 latency ms (readers)"}},
					fn: func(s *server) ([]float64, error) {
						res, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, stalled: st, events: events, size: 512, rate: float64(rate)}, 2*time.Minute)
						if err == nil {
							err = checkDelivery(res)
						}
						if err == nil {
							closed[s.impl] = res.stalledClosed
						}
						return []float64{ms(res.p99)}, err
					},
				})
				if err != nil {
					return 0, err
				}
				if st > 0 && len(closed) > 0 {
					var parts []string
					for _, k := range slices.Sorted(mapKeys(closed)) {
						parts = append(parts, fmt.Sprintf("%s %d/%d", k, closed[k], st))
					}
					t.note(fmt.Sprintf("stalled subscribers closed by the policy over %s: %s", tr, strings.Join(parts, ", ")))
				}
			}
		}
	}
	if o.scenarios["idle"] {
		for _, tr := range []string{"websocket", "sse", "sse-h2"} {
			name := fmt.Sprintf("idle, %d connections", o.idle)
			err := r.run(cell{
				transport: tr, supports: serves(tr), queue: 32, wt: wt,
				rows: []row{
					{scenario: name, metric: "server RSS KiB/conn (no forced GC)"},
					{scenario: name, metric: "server RSS KiB/conn (after GC)"},
					{scenario: name, metric: "server goroutines/conn"},
				},
				fn: func(s *server) ([]float64, error) {
					res, err := runIdle(s, tr, o.idle, 5*time.Minute)
					return []float64{res.perConn / 1024, res.perConnGC / 1024, res.goroutines}, err
				},
			})
			if err != nil {
				return 0, err
			}
		}
	}
	if o.scenarios["huge"] {
		if err := runHugeScenario(r, o.huge, o.hugeNodes); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// checkDelivery fails a run that lost or reordered events: those must be 0.
func checkDelivery(r broadcastResult) error {
	if r.lost != 0 || r.reordered != 0 {
		return fmt.Errorf("anyws-bench: %d events lost, %d reordered (must be 0)", r.lost, r.reordered)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
