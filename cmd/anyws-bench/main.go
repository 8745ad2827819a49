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
	short        bool
	controls     []string // the implementations anyws is compared with
	scenarios    map[string]bool
	transports   map[string]bool // nil: all
	clients      []int           // chat room sizes
	batch        int
	windows      int
	subs         []int // broadcast: subscriber counts
	lowrateSubs  int
	rates        []int // lowrate: events per second
	idle         int
	huge         int
	hugeNodes    int  // node processes of the huge run; 0: one process (huge_nodes.go)
	hugeHistory  bool // the multi-node huge run's broker keeps history and peer records
	deliveries   int  // per broadcast throughput run
	seconds      int  // length of a low-rate run
	stallSeconds int
}

func main() {
	var (
		serverImpl   = flag.String("server", "", "internal: run as the child server for `impl`")
		queue        = flag.Int("queue", 4096, "internal: per-connection queue bound, in messages")
		writeTimeout = flag.Duration("write-timeout", 10*time.Second, "internal: per-write deadline")
		sndbuf       = flag.Int("sndbuf", 0, "internal: SO_SNDBUF of the server's connections (0: kernel default)")
		brokerURL    = flag.String("broker", "", "internal: the redis:// URL of the broker the anyws server (a node of the multi-node huge run) uses")
		brokerHist   = flag.Bool("broker-history", false, "internal: the -broker keeps history and peer records (redis.NewHistory)")
		hugeClient   = flag.String("huge-client", "", "internal: run as a client process of the multi-node huge run, dialing the node at `addr`")
		hugeConns    = flag.Int("huge-conns", 0, "internal: the client process's connections")
		hugeEvents   = flag.Int("huge-events", 0, "internal: the events each of its connections must receive")
		hugeSrc      = flag.String("huge-src", "2,64", "internal: the client process's source addresses: `first,count` of 127.0.0.x")

		short       = flag.Bool("short", false, "a short run, what make bench runs")
		scenarios   = flag.String("scenarios", "chat,broadcast,lowrate,stall,idle", "comma-separated scenarios: chat, broadcast, lowrate, stall, idle, huge")
		impls       = flag.String("impls", defaultControls, "comma-separated controls anyws is compared with: gorilla, coder, baresse, gosse, centrifuge, nodews (Node's ws, from testdata/node: make deps)")
		control     = flag.String("control", "controls", "controls (the -impls list) or norecovery (anyws with Options.ResumeWindow -1 as the only control)")
		clients     = flag.String("clients", "32,128", "chat: clients in the room, one run per count; -short: 32")
		batch       = flag.Int("batch", 640, "chat: messages per batch")
		windows     = flag.Int("windows", 10, "chat: 1-second windows measured (after one dropped); -short: 4")
		subs        = flag.String("subs", "1000,10000", "broadcast: subscriber counts; -short: 1000")
		lowrateSubs = flag.Int("lowrate-subs", 1000, "lowrate: subscribers")
		rates       = flag.String("rates", "10,50", "lowrate: events per second, one run per rate")
		seconds     = flag.Int("seconds", 5, "lowrate: seconds per run; -short: 3")
		idle        = flag.Int("idle", 10000, "idle: connections per transport; -short: 2000")
		huge        = flag.Int("huge", 100000, "huge: connections, half WebSocket, half SSE")
		hugeHistory = flag.Bool("huge-history", false, "huge, multi-node: the nodes' Redis broker keeps topic history and a record per resumable peer (redis.NewHistory: resume across nodes and after a node's death), instead of Pub/Sub alone")
		hugeNodesN  = flag.Int("huge-nodes", 0, "huge: anyws node processes sharing a Redis broker, one client process each (anyws only); 0: one process (with the controls) up to 18000 connections, else enough nodes for at most 18000 each")
		transports  = flag.String("transports", "", "comma-separated transports to run (websocket, sse, sse-h2); empty: all")
		pin         = flag.Bool("pin", false, "servers on one CPU, the tool's clients on the other CPUs (Linux, taskset): they stop competing for cores, as with clients on other machines")
	)
	flag.Parse()
	if *serverImpl != "" {
		raiseFileLimit(1 << 20)
		err := runServer(serverConfig{impl: *serverImpl, queue: *queue, writeTimeout: *writeTimeout, sndbuf: *sndbuf, brokerURL: *brokerURL, brokerHistory: *brokerHist})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *hugeClient != "" {
		raiseFileLimit(1 << 20)
		var first, count int
		if _, err := fmt.Sscanf(*hugeSrc, "%d,%d", &first, &count); err != nil || first < 1 || count < 1 || first+count > 255 {
			fmt.Fprintf(os.Stderr, "anyws-bench: bad -huge-src %q: want first,count of 127.0.0.x\n", *hugeSrc)
			os.Exit(2)
		}
		err := runHugeClient(hugeClientConfig{node: *hugeClient, conns: *hugeConns, events: *hugeEvents, srcFirst: first, srcCount: count})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "anyws-bench: "+format+"\n", args...)
		os.Exit(2)
	}
	o := options{
		short: *short, scenarios: map[string]bool{}, batch: *batch, windows: *windows,
		lowrateSubs: *lowrateSubs, idle: *idle, huge: *huge, hugeNodes: hugeNodes(*huge, *hugeNodesN), hugeHistory: *hugeHistory,
		deliveries: 2_000_000, seconds: *seconds, stallSeconds: 15,
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch *control {
	case "controls", "bare": // bare: the old name, when the only control was bare
		for n := range strings.SplitSeq(*impls, ",") {
			n = strings.TrimSpace(n)
			info, err := lookupImpl(n)
			if err != nil || n == "anyws" || n == "norecovery" {
				fail("bad -impls %q: want some of %s", *impls, defaultControls)
			}
			o.controls = append(o.controls, info.name)
		}
	case "norecovery":
		if set["impls"] {
			fail("-control norecovery compares anyws with itself: leave -impls out")
		}
		o.controls = []string{"norecovery"}
	default:
		fail("bad -control %q: want controls or norecovery", *control)
	}
	for s := range strings.SplitSeq(*scenarios, ",") {
		o.scenarios[strings.TrimSpace(s)] = true
	}
	if *transports != "" {
		o.transports = map[string]bool{}
		for s := range strings.SplitSeq(*transports, ",") {
			o.transports[strings.TrimSpace(s)] = true
		}
	}
	var err error
	if o.clients, err = counts(*clients); err != nil {
		fail("bad -clients: %v", err)
	}
	if o.subs, err = counts(*subs); err != nil {
		fail("bad -subs: %v", err)
	}
	if o.rates, err = counts(*rates); err != nil {
		fail("bad -rates: %v", err)
	}
	if o.short {
		if !set["windows"] {
			o.windows = 4
		}
		if !set["clients"] {
			o.clients = []int{32}
		}
		if !set["subs"] {
			o.subs = []int{1000}
		}
		if !set["idle"] {
			o.idle = 2000
		}
		if !set["seconds"] {
			o.seconds = 3
		}
		o.deliveries, o.stallSeconds = 500_000, 6
	}
	need := uint64(1000)
	if o.scenarios["idle"] {
		need = max(need, uint64(o.idle+1000))
	}
	if o.scenarios["broadcast"] {
		need = max(need, uint64(slicesMax(o.subs)+1000))
	}
	if o.scenarios["huge"] {
		// The multi-node run's connections are its children's open
		// files; each child checks its own share (runHugeNodes).
		per := o.huge
		if o.hugeNodes > 0 {
			per = (o.huge + o.hugeNodes - 1) / o.hugeNodes
		}
		need = max(need, uint64(per+1000))
	}
	if *pin {
		if err := pinCPUs(); err != nil {
			fail("%v", err)
		}
	}
	raiseFileLimit(max(need, 65536))
	if fileLimit() < need {
		fail("the open files limit is %d and could not be raised; this run needs %d: raise the hard limit (ulimit -Hn, which needs CAP_SYS_RESOURCE: root in a container may lack it), or run fewer connections (-huge, -idle, -subs)", fileLimit(), need)
	}
	pinning := ""
	if serverCPUs != "" {
		pinning = "; servers on CPU " + serverCPUs + ", clients on the others"
	}
	fmt.Printf("anyws-bench: %s/%s, %d CPUs, GOMAXPROCS %d, %s%s; controls: %s\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), pinning, strings.Join(o.controls, ", "))
	t := &table{impls: append([]string{"anyws"}, o.controls...)}
	start := time.Now()
	failed, err := run(o, t)
	t.print(os.Stdout)
	fmt.Printf("\n(%s in all)\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "anyws-bench: %d runs failed (✗ in the table; the notes say why)\n", failed)
		os.Exit(1)
	}
}

func counts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want comma-separated positive counts", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
