package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"time"
)

// hugePerProcess is the most connections the huge run puts in one
// process: a node and a client process each hold one open file per
// connection, and this sandbox's hard limit of 20,000 open files per
// process cannot be raised (no CAP_SYS_RESOURCE, not even for root).
const hugePerProcess = 18_000

// hugeNodes is how many anyws nodes the huge run of n connections
// spreads over: flag if set (-huge-nodes), else one process (0: the
// single-process run, with the controls) when n fits, else enough nodes
// that none holds more than hugePerProcess.
func hugeNodes(n, flag int) int {
	if flag > 0 {
		return flag
	}
	if n <= hugePerProcess {
		return 0
	}
	return (n + hugePerProcess - 1) / hugePerProcess
}

// hugeNodesConfig is one multi-node huge run.
type hugeNodesConfig struct {
	conns   int           // connections in all, every other one WebSocket
	nodes   int           // anyws node processes, sharing one Redis; one client process each
	events  int           // events published through the first node
	rate    float64       // events per second (0: at once)
	timeout time.Duration // the whole run, start to clean-up
	history bool          // the broker keeps history and peer records (redis.NewHistory)
}

// hugeNodesResult is what the multi-node huge run measured.
type hugeNodesResult struct {
	connectRate float64 // connections per second, all client processes together
	rssPerConn  float64 // the nodes' RSS less their RSS before any connection, summed, per connection (no forced GC)
	rssTotal    int64   // the nodes' RSS summed, baselines included
	p50, p99    time.Duration
	max         time.Duration
	delivered   int
	lost        int
	reordered   int
	// byEvent is the p50, p99 and max of each event's deliveries: a
	// tail that grows from event to event is a fan-out slower than the
	// publish rate.
	byEvent [][3]time.Duration
	// nodesCPU and clientsCPU are the CPU time the node and the client
	// processes spent from the first publish to the last report, per
	// delivery: where the two shared cores went.
	nodesCPU, clientsCPU time.Duration
}

// runHugeNodes is the huge run the open-files limit allows: the
// connections spread over cfg.nodes anyws node processes whose Hubs share
// a Redis broker (a redis-server it starts on a free loopback port), each
// dialed by a client process of its own. It publishes through the first
// node, so the broker carries every event to the others, and checks that
// every event reached every connection once, in order.
//
// Times: the connect rate is on this process's clock, from the start
// signal to the clients to the moment every node counts its peers. A
// latency is the receiving client's wall clock minus the publishing
// node's wall clock in the payload: separate processes share the wall
// clock (CLOCK_REALTIME), not a monotonic one, and on one machine it is
// one clock.
func runHugeNodes(cfg hugeNodesConfig) (res hugeNodesResult, err error) {
	if cfg.nodes < 1 || cfg.conns < cfg.nodes {
		return res, fmt.Errorf("anyws-bench: %d connections over %d nodes: want at least one node and one connection per node", cfg.conns, cfg.nodes)
	}
	if share := (cfg.conns + cfg.nodes - 1) / cfg.nodes; uint64(share+500) > fileLimit() {
		return res, fmt.Errorf("anyws-bench: %d connections per node and client process need about %d open files each, above the limit of %d: use more nodes (-huge-nodes)", share, share+500, fileLimit())
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	rs, err := startRedis(ctx)
	if err != nil {
		return res, err
	}
	defer rs.stop()

	nodes := make([]*server, 0, cfg.nodes)
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for range cfg.nodes {
		n, err := startServer(serverConfig{impl: "anyws", queue: 32, writeTimeout: 10 * time.Second, brokerURL: rs.url(), brokerHistory: cfg.history})
		if err != nil {
			return res, err
		}
		nodes = append(nodes, n)
	}
	base := make([]serverStats, len(nodes))
	for i, n := range nodes {
		if base[i], err = n.stats(true); err != nil {
			return res, err
		}
	}

	// One client process per node, each with its share of the
	// connections and its own block of source addresses.
	clients := make([]*hugeClient, 0, cfg.nodes)
	defer func() {
		// Clients first: their connections close before the nodes stop.
		for _, c := range clients {
			c.stop()
		}
	}()
	block := min(64, 240/cfg.nodes)
	shares := make([]int, cfg.nodes)
	for i := range nodes {
		shares[i] = cfg.conns / cfg.nodes
		if i < cfg.conns%cfg.nodes {
			shares[i]++
		}
		c, err := startHugeClient(i, hugeClientConfig{
			node: nodes[i].addr, conns: shares[i], events: cfg.events,
			srcFirst: 2 + i*block, srcCount: block,
		})
		if err != nil {
			return res, err
		}
		clients = append(clients, c)
		if err := c.expect(ctx, "ready"); err != nil {
			return res, err
		}
	}

	start := time.Now()
	for _, c := range clients {
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			return res, fmt.Errorf("anyws-bench: start client %d: %w", c.index, err)
		}
	}
	for _, c := range clients {
		if err := c.expect(ctx, "connected"); err != nil {
			return res, err
		}
	}
	for i, n := range nodes {
		// Every client has its connections open: a node that does not
		// count them soon lost some (closed by the server).
		if err := n.waitPeers(shares[i], min(time.Until(deadlineOf(ctx)), time.Minute)); err != nil {
			return res, err
		}
	}
	res.connectRate = float64(cfg.conns) / time.Since(start).Seconds()
	var grown int64
	for i, n := range nodes {
		st, err := n.stats(false)
		if err != nil {
			return res, err
		}
		grown += st.RSS - base[i].RSS
		res.rssTotal += st.RSS
	}
	res.rssPerConn = float64(grown) / float64(cfg.conns)

	var cpu0 time.Duration
	for _, n := range nodes {
		if err := n.sync(); err != nil {
			return res, err
		}
		st, err := n.stats(false)
		if err != nil {
			return res, err
		}
		cpu0 += st.CPU
	}
	if err := nodes[0].publish(cfg.events, 64, cfg.rate); err != nil {
		return res, err
	}
	wait, cancelWait := context.WithTimeout(ctx, clientWait)
	defer cancelWait()
	var all []time.Duration
	byEvent := make([][]time.Duration, cfg.events)
	var errs []error
	for _, c := range clients {
		rep, err := c.done(wait)
		if err != nil {
			errs = append(errs, err)
		}
		for e, lat := range rep.Lat {
			for _, l := range lat {
				all = append(all, time.Duration(l))
				if e < len(byEvent) {
					byEvent[e] = append(byEvent[e], time.Duration(l))
				}
			}
			res.delivered += len(lat)
		}
		res.lost += rep.Lost
		res.reordered += rep.Reordered
		res.clientsCPU += rep.CPU
	}
	var cpu1 time.Duration
	for _, n := range nodes {
		if st, err := n.stats(false); err == nil {
			cpu1 += st.CPU
		}
	}
	if res.delivered > 0 {
		res.nodesCPU = (cpu1 - cpu0) / time.Duration(res.delivered)
		res.clientsCPU /= time.Duration(res.delivered)
	}
	slices.Sort(all)
	res.p50, res.p99, res.max = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 1)
	for _, lat := range byEvent {
		slices.Sort(lat)
		res.byEvent = append(res.byEvent, [3]time.Duration{percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 1)})
	}
	if want := cfg.conns * cfg.events; res.delivered+res.lost != want && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("anyws-bench: %d deliveries and %d lost, want %d in all", res.delivered, res.lost, want))
	}
	return res, errors.Join(errs...)
}

// hugeClient is a client process of the multi-node huge run, as the
// parent sees it.
type hugeClient struct {
	index   int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	reports chan clientReport // closed when its stdout ends
	exited  chan struct{}     // closed once cmd has been waited for
}

// startHugeClient starts client process number index; it reports
// "ready" first.
func startHugeClient(index int, cfg hugeClientConfig) (*hugeClient, error) {
	cmd, stdin, stdout, err := startChild("client process", hugeClientArgs(cfg)...)
	if err != nil {
		return nil, err
	}
	c := &hugeClient{index: index, cmd: cmd, stdin: stdin, reports: make(chan clientReport, 4), exited: make(chan struct{})}
	go c.read(bufio.NewReader(stdout))
	return c, nil
}

// read decodes the child's report lines (a "done" line holds every
// latency: one line of megabytes) until its stdout ends, then waits for
// it: Wait must come after the last read of the pipe.
func (c *hugeClient) read(r *bufio.Reader) {
	defer close(c.exited)
	defer func() { _ = c.cmd.Wait() }()
	defer close(c.reports)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var rep clientReport
			if jerr := json.Unmarshal(line, &rep); jerr != nil {
				rep = clientReport{Kind: "bad", Err: fmt.Sprintf("unreadable report %.80q: %v", line, jerr)}
			}
			c.reports <- rep
		}
		if err != nil {
			return
		}
	}
}

// next is the child's next report.
func (c *hugeClient) next(ctx context.Context) (clientReport, error) {
	select {
	case rep, ok := <-c.reports:
		if !ok {
			return rep, fmt.Errorf("anyws-bench: client process %d exited early (its stderr says why)", c.index)
		}
		if rep.Err != "" {
			return rep, fmt.Errorf("anyws-bench: client process %d, %s: %s", c.index, rep.Kind, rep.Err)
		}
		return rep, nil
	case <-ctx.Done():
		return clientReport{}, fmt.Errorf("anyws-bench: client process %d: %w", c.index, ctx.Err())
	}
}

// expect reads the next report and fails unless it is of kind.
func (c *hugeClient) expect(ctx context.Context, kind string) error {
	rep, err := c.next(ctx)
	if err == nil && rep.Kind != kind {
		err = fmt.Errorf("anyws-bench: client process %d reported %q, want %q", c.index, rep.Kind, kind)
	}
	return err
}

// done waits for the child's final report. When wait ends first, it
// closes the child's stdin: the child stops its readers and reports what
// they got (the rest counted lost).
func (c *hugeClient) done(wait context.Context) (clientReport, error) {
	rep, err := c.next(wait)
	if err != nil && wait.Err() != nil {
		_ = c.stdin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rep, err = c.next(ctx)
		if err == nil {
			err = fmt.Errorf("anyws-bench: client process %d: not every event arrived within %s of the last publish", c.index, clientWait)
		}
	}
	if err == nil && rep.Kind != "done" {
		err = fmt.Errorf("anyws-bench: client process %d reported %q, want \"done\"", c.index, rep.Kind)
	}
	return rep, err
}

// stop closes the child's stdin (it closes its connections and exits)
// and waits for it, killing it after a grace period.
func (c *hugeClient) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// sync asks the node to have its broker subscriptions in place.
func (s *server) sync() error {
	resp, err := controlClient.Post(s.url("http", "/sync"), "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("anyws-bench: node %s: sync: %s: %s", s.addr, resp.Status, b)
	}
	return nil
}
