package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// hugeClientConfig is what the parent tells a client process of the
// multi-node huge run, by flags.
type hugeClientConfig struct {
	node     string // the node's address, 127.0.0.1:port
	conns    int    // connections to open, every other one WebSocket, the others SSE
	events   int    // events each connection must receive, in order
	srcFirst int    // first source address: 127.0.0.srcFirst
	srcCount int    // how many source addresses, from srcFirst on
}

// clientReport is one JSON line a client process writes on its stdout.
type clientReport struct {
	// Kind is "ready" (started, waiting for "go" on stdin), "connected"
	// (every connection open, or Err) or "done" (every reader finished,
	// or stdin closed before they did).
	Kind string `json:"kind"`
	// Lat (done) is the nanoseconds from publish to receipt of every
	// delivery, by the order of arrival at its connection: Lat[e] holds
	// the e-th event each connection received (event e when none was
	// lost or reordered).
	Lat [][]int64 `json:"lat,omitempty"`
	// CPU (done) is the process's CPU time from "connected" to "done":
	// the clients' share of the two cores during the broadcast.
	CPU       time.Duration `json:"cpu,omitempty"`
	Lost      int           `json:"lost,omitempty"`
	Reordered int           `json:"reordered,omitempty"`
	Err       string        `json:"err,omitempty"`
}

// runHugeClient is a client process of the multi-node huge run. Its
// connections are its own open files, not the parent's: a process holds
// at most the sandbox's 20,000 whatever the whole run's count. It dials
// when the parent writes a line on stdin, so that the parent times the
// connect rate of all client processes from one start; it reads until
// every connection has every event, or until stdin closes (the parent
// is done waiting, or gone), then reports and exits.
func runHugeClient(cfg hugeClientConfig) error {
	sourceAddrs = loopbackSources(cfg.srcFirst, cfg.srcCount)
	out := json.NewEncoder(os.Stdout) // one Encode is one line
	in := bufio.NewReader(os.Stdin)
	if err := out.Encode(clientReport{Kind: "ready"}); err != nil {
		return err
	}
	if _, err := in.ReadString('\n'); err != nil {
		return nil // the parent went away before the start
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, in)
		cancel()
	}()

	info, err := lookupImpl("anyws")
	if err != nil {
		return err
	}
	node := &server{impl: "anyws", info: info, addr: cfg.node}
	hc := newClient()
	defer hc.CloseIdleConnections()
	// Each connection is read from the moment it opens, as a real
	// client's is: the dialing takes minutes on a loaded machine.
	results := make([]readerResult, cfg.conns)
	var wg sync.WaitGroup
	subs, err := dialManyThen(ctx, hc, node, "mixed", cfg.conns, func(i int, sub *subscriber) {
		wg.Go(func() { results[i] = readEvents(ctx, sub, cfg.events) })
	})
	if err != nil {
		// dialMany closed the subscribers: the readers end.
		wg.Wait()
		_ = out.Encode(clientReport{Kind: "connected", Err: err.Error()})
		<-ctx.Done()
		return nil
	}
	defer closeAll(subs)
	// Closing the streams ends the readers blocked on them.
	stop := context.AfterFunc(ctx, func() { closeAll(subs) })
	defer stop()
	if err := out.Encode(clientReport{Kind: "connected"}); err != nil {
		return err
	}
	cpu0 := cpuTime()
	wg.Wait()

	rep := clientReport{Kind: "done", Lat: make([][]int64, cfg.events), CPU: cpuTime() - cpu0}
	for _, r := range results {
		for e, l := range r.lat {
			rep.Lat[e] = append(rep.Lat[e], int64(l))
		}
		rep.Lost += cfg.events - len(r.lat)
		rep.Reordered += r.reordered
		if r.err != nil && rep.Err == "" && ctx.Err() == nil {
			rep.Err = r.err.Error()
		}
	}
	if err := out.Encode(rep); err != nil {
		return err
	}
	<-ctx.Done() // the parent closes stdin once it has every report
	return nil
}

// loopbackSources are 127.0.0.first … 127.0.0.(first+count-1).
func loopbackSources(first, count int) []*net.TCPAddr {
	out := make([]*net.TCPAddr, count)
	for i := range out {
		out[i] = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(first+i))}
	}
	return out
}

// hugeClientArgs are the flags of a client process (main.go reads them).
func hugeClientArgs(cfg hugeClientConfig) []string {
	return []string{
		"-huge-client", cfg.node, "-huge-conns", fmt.Sprint(cfg.conns), "-huge-events", fmt.Sprint(cfg.events),
		"-huge-src", fmt.Sprintf("%d,%d", cfg.srcFirst, cfg.srcCount),
	}
}

// clientWait bounds how long the parent waits for the clients' reports
// after the last publish.
const clientWait = 2 * time.Minute
