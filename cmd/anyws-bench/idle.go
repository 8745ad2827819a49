package main

import (
	"context"
	"fmt"
	"time"
)

// idleResult is the server's memory for n idle connections.
type idleResult struct {
	n          int
	perConn    float64 // RSS bytes per connection, as the server left it (no forced GC)
	perConnGC  float64 // the same after a full GC and debug.FreeOSMemory
	goroutines float64 // goroutines per connection
}

// runIdle opens n connections that never send or read and measures the
// server's resident memory: before them after a full GC (the baseline),
// then with them as the server left it, without forcing a GC (what a
// real server holds), then after a full GC.
func runIdle(s *server, transport string, n int, timeout time.Duration) (idleResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	before, err := s.stats(true)
	if err != nil {
		return idleResult{}, err
	}
	hc := newClient()
	defer hc.CloseIdleConnections()
	subs, err := dialMany(ctx, hc, s, transport, n)
	if err != nil {
		return idleResult{}, err
	}
	defer closeAll(subs)
	if err := s.waitPeers(n, time.Until(deadlineOf(ctx))); err != nil {
		return idleResult{}, err
	}
	after, err := s.stats(false)
	if err != nil {
		return idleResult{}, err
	}
	afterGC, err := s.stats(true)
	if err != nil {
		return idleResult{}, err
	}
	if after.RSS == 0 {
		return idleResult{}, fmt.Errorf("anyws-bench: cannot read the server's RSS from /proc")
	}
	return idleResult{
		n:          n,
		perConn:    float64(after.RSS-before.RSS) / float64(n),
		perConnGC:  float64(afterGC.RSS-before.RSS) / float64(n),
		goroutines: float64(after.Goroutines-before.Goroutines) / float64(n),
	}, nil
}
