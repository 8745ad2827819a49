package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// chatConn is what the chat clients need of a WebSocket or websocketsse
// connection.
type chatConn interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	CloseNow() error
}

// chatResult is one chat room run.
type chatResult struct {
	windows []float64 // delivered messages per 1-second window, first dropped
	median  float64
	cost    cost // server CPU and write calls per delivered message
}

// runChat is the crossws/Bun WebSocket benchmark: clients in one room,
// each sends a batch of short messages; the server echoes each to its
// sender and publishes it to everyone else; a client sends its next batch
// once the whole fan-out of the previous rounds has arrived. The metric is
// delivered messages per second over 1-second windows.
func runChat(s *server, transport string, clients, batch, windows int) (chatResult, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hc := newClient()
	defer hc.CloseIdleConnections()
	conns := make([]chatConn, 0, clients)
	defer func() {
		for _, c := range conns {
			_ = c.CloseNow()
		}
	}()
	for range clients {
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := dialChat(dctx, hc, s, transport)
		dcancel()
		if err != nil {
			return chatResult{}, fmt.Errorf("anyws-bench: chat dial: %w", err)
		}
		conns = append(conns, c)
	}
	if err := s.waitPeers(clients, 10*time.Second); err != nil {
		return chatResult{}, err
	}

	var delivered atomic.Int64
	errs := make(chan error, 2*clients)
	var wg sync.WaitGroup
	perRound := int64(batch * clients)
	for i, c := range conns {
		next := make(chan struct{}, 1)
		next <- struct{}{}
		msgs := make([][]byte, batch)
		for j := range msgs {
			msgs[j] = fmt.Appendf(nil, "client %d says hi %d", i, j)
		}
		wg.Add(2)
		go func() { // writer: one batch per signal
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-next:
				}
				for _, m := range msgs {
					if err := c.Write(ctx, websocket.MessageText, m); err != nil {
						if ctx.Err() == nil {
							errs <- fmt.Errorf("anyws-bench: chat write: %w", err)
						}
						return
					}
				}
			}
		}()
		go func() { // reader: counts, and releases the next batch
			defer wg.Done()
			var got int64
			for {
				if _, _, err := c.Read(ctx); err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("anyws-bench: chat read: %w", err)
					}
					return
				}
				delivered.Add(1)
				if got++; got%perRound == 0 {
					select {
					case next <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}

	var res chatResult
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, first := int64(0), int64(0)
	var st0 serverStats
	var runErr error
	for w := 0; w <= windows && runErr == nil; w++ {
		select {
		case <-tick.C:
			n := delivered.Load()
			if w > 0 { // the first window warms up
				res.windows = append(res.windows, float64(n-last))
			} else {
				first = n
				st0, runErr = s.stats(false)
			}
			if w == windows {
				st1, err := s.stats(false)
				res.cost = costBetween(st0, st1, delivered.Load()-first)
				runErr = err
			}
			last = n
		case runErr = <-errs:
		}
	}
	cancel()
	for _, c := range conns {
		_ = c.CloseNow()
	}
	wg.Wait()
	if runErr != nil {
		return res, runErr
	}
	res.median = median(res.windows)
	if res.median == 0 {
		return res, fmt.Errorf("anyws-bench: chat over %s delivered nothing", transport)
	}
	return res, nil
}
