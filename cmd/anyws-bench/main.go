package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// options are the parent's flags.
type options struct {
	short      bool
	scenarios  map[string]bool
	clients    int
	batch      int
	windows    int
	subs       []int
	idle       int
	deliveries int // per broadcast throughput run
	rate       int // deliveries per second in the latency runs
	seconds    int // length of a latency run
}

// controlImpl is the implementation anyws is compared with (-control).
var controlImpl = "bare"

func main() {
	var (
		serverImpl   = flag.String("server", "", "internal: run as the child server for `impl` (anyws or bare)")
		queue        = flag.Int("queue", 4096, "internal: per-connection queue bound, in messages")
		writeTimeout = flag.Duration("write-timeout", 10*time.Second, "internal: per-write deadline")
		sndbuf       = flag.Int("sndbuf", 0, "internal: SO_SNDBUF of the server's connections (0: kernel default)")

		short     = flag.Bool("short", false, "a short run, what make bench runs (about two minutes)")
		scenarios = flag.String("scenarios", "chat,broadcast,stall,idle", "comma-separated scenarios to run")
		clients   = flag.Int("clients", 32, "chat: clients in the room")
		batch     = flag.Int("batch", 640, "chat: messages per batch")
		windows   = flag.Int("windows", 10, "chat: 1-second windows measured (after one dropped); -short: 4")
		subs      = flag.String("subs", "100,1000,10000", "broadcast: subscriber counts; -short: 100,1000")
		idle      = flag.Int("idle", 10000, "idle: connections per transport; -short: 2000")
		control   = flag.String("control", "bare", "the control anyws is compared with: bare (a hand-written server) or norecovery (anyws with Options.ResumeWindow -1)")
	)
	flag.Parse()
	raiseFileLimit(65536)
	if *control != "bare" && *control != "norecovery" {
		fmt.Fprintf(os.Stderr, "anyws-bench: bad -control %q: want bare or norecovery\n", *control)
		os.Exit(2)
	}
	controlImpl = *control
	if *serverImpl != "" {
		err := runServer(serverConfig{impl: *serverImpl, queue: *queue, writeTimeout: *writeTimeout, sndbuf: *sndbuf})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	o := options{
		short: *short, scenarios: map[string]bool{}, clients: *clients, batch: *batch,
		windows: *windows, idle: *idle, deliveries: 2_000_000, rate: 50_000, seconds: 5,
	}
	for s := range strings.SplitSeq(*scenarios, ",") {
		o.scenarios[strings.TrimSpace(s)] = true
	}
	for s := range strings.SplitSeq(*subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "anyws-bench: bad -subs %q: want comma-separated counts\n", *subs)
			os.Exit(2)
		}
		o.subs = append(o.subs, n)
	}
	if o.short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["windows"] {
			o.windows = 4
		}
		if !set["subs"] {
			o.subs = []int{100, 1000}
		}
		if !set["idle"] {
			o.idle = 2000
		}
		o.deliveries, o.seconds = 500_000, 2
	}
	if need := uint64(o.idle + 1000); o.scenarios["idle"] && fileLimit() < need {
		fmt.Fprintf(os.Stderr, "anyws-bench: the open files limit is %d; -idle %d needs %d (raise it with ulimit -n)\n", fileLimit(), o.idle, need)
		os.Exit(2)
	}
	fmt.Printf("anyws-bench: %s/%s, %d CPUs, GOMAXPROCS %d, %s\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	t := &table{}
	if err := run(o, t); err != nil {
		t.print(os.Stdout)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t.print(os.Stdout)
}

// run runs the chosen scenarios, anyws and the control in the same run,
// alternating which goes first.
func run(o options, t *table) error {
	first := 0
	// pair runs fn against both implementations; fn's values fill rows.
	pair := func(queue, sndbuf int, wt time.Duration, fn func(impl string, s *server) ([]float64, error), rows ...row) error {
		impls := []string{"anyws", controlImpl}
		if first%2 == 1 {
			impls = []string{controlImpl, "anyws"}
		}
		first++
		for _, impl := range impls {
			s, err := startServer(impl, queue, sndbuf, wt)
			if err != nil {
				return err
			}
			vs, err := fn(impl, s)
			s.stop()
			if err != nil {
				return fmt.Errorf("%s, %s: %w", rows[0].scenario, impl, err)
			}
			for i, v := range vs {
				if impl == "anyws" {
					rows[i].anyws = v
				} else {
					rows[i].bare = v
				}
			}
		}
		for _, r := range rows {
			t.add(r)
		}
		return nil
	}
	costRows := func(scenario, transport string) []row {
		return []row{
			{scenario: scenario, transport: transport, metric: "server CPU µs/msg"},
			{scenario: scenario, transport: transport, metric: "server write calls/msg"},
		}
	}
	costValues := func(c cost) []float64 {
		return []float64{float64(c.cpuPerMsg) / float64(time.Microsecond), c.writesPerMsg}
	}

	if o.scenarios["chat"] {
		for _, tr := range []string{"websocket", "sse"} {
			// Two rounds can be in flight for a receiver: the queue holds both.
			q := 4 * o.batch * o.clients
			name := fmt.Sprintf("chat, %d clients", o.clients)
			err := pair(q, 0, 10*time.Second, func(impl string, s *server) ([]float64, error) {
				r, err := runChat(s, tr, o.clients, o.batch, o.windows)
				return append([]float64{r.median}, costValues(r.cost)...), err
			}, append([]row{{scenario: name, transport: tr, metric: "msgs/s (median)", higherBetter: true}}, costRows(name, tr)...)...)
			if err != nil {
				return err
			}
		}
	}
	if o.scenarios["broadcast"] {
		for _, tr := range []string{"sse", "websocket"} {
			for _, n := range o.subs {
				events := min(max(o.deliveries/n, 20), 4000)
				name := fmt.Sprintf("broadcast, %d subscribers, %d events", n, events)
				err := pair(4096, 0, 10*time.Second, func(impl string, s *server) ([]float64, error) {
					r, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, events: events, size: 64}, 3*time.Minute)
					if err == nil {
						err = checkDelivery(r)
					}
					return append([]float64{r.perSecond}, costValues(r.cost)...), err
				}, append([]row{{scenario: name, transport: tr, metric: "deliveries/s", higherBetter: true}}, costRows(name, tr)...)...)
				if err != nil {
					return err
				}
				rate := float64(o.rate) / float64(n)
				events = max(int(rate*float64(o.seconds)), 10)
				name = fmt.Sprintf("broadcast, %d subscribers, %.0f events/s", n, rate)
				err = pair(4096, 0, 10*time.Second, func(impl string, s *server) ([]float64, error) {
					r, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, events: events, size: 64, rate: rate}, 3*time.Minute)
					if err == nil {
						err = checkDelivery(r)
					}
					return []float64{ms(r.p50), ms(r.p99), ms(r.max)}, err
				},
					row{scenario: name, transport: tr, metric: "p50 latency ms"},
					row{scenario: name, transport: tr, metric: "p99 latency ms"},
					row{scenario: name, transport: tr, metric: "max latency ms"})
				if err != nil {
					return err
				}
			}
		}
	}
	if o.scenarios["stall"] {
		n := 1000
		stalled := n / 100
		rate := float64(o.rate) / float64(n)
		events := max(int(rate*float64(3*o.seconds)), 10)
		for _, tr := range []string{"sse", "websocket"} {
			for _, st := range []int{0, stalled} {
				closed := map[string]int{}
				err := pair(256, 64<<10, 5*time.Second, func(impl string, s *server) ([]float64, error) {
					r, err := runBroadcast(s, broadcastConfig{transport: tr, subs: n, stalled: st, events: events, size: 512, rate: rate}, 2*time.Minute)
					if err == nil {
						err = checkDelivery(r)
					}
					closed[impl] = r.stalledClosed
					return []float64{ms(r.p99)}, err
				}, row{scenario: fmt.Sprintf("broadcast, %d subscribers + %d stalled, 512 B at %.0f/s", n, st, rate), transport: tr, metric: "p99 latency ms (readers)"})
				if err != nil {
					return err
				}
				if st > 0 {
					t.note(fmt.Sprintf("stalled subscribers closed by the policy over %s: anyws %d/%d, %s %d/%d", tr, closed["anyws"], st, controlImpl, closed[controlImpl], st))
				}
			}
		}
	}
	if o.scenarios["idle"] {
		for _, tr := range []string{"websocket", "sse"} {
			name := fmt.Sprintf("idle, %d connections", o.idle)
			err := pair(32, 0, 10*time.Second, func(impl string, s *server) ([]float64, error) {
				r, err := runIdle(s, tr, o.idle, 3*time.Minute)
				return []float64{r.perConn / 1024, r.goroutines}, err
			}, row{scenario: name, transport: tr, metric: "server RSS KiB/conn"},
				row{scenario: name, transport: tr, metric: "server goroutines/conn"})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDelivery fails a run that lost or reordered events: those must be 0.
func checkDelivery(r broadcastResult) error {
	if r.lost != 0 || r.reordered != 0 {
		return fmt.Errorf("anyws-bench: %d events lost, %d reordered (must be 0)", r.lost, r.reordered)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
