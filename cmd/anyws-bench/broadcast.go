package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/anyws/anyws/internal/sse"
)

// broadcastConfig is one broadcast run.
type broadcastConfig struct {
	transport string  // "sse" or "websocket"
	subs      int     // subscribers that read
	stalled   int     // extra subscribers that never read
	events    int     // events published
	size      int     // bytes per event
	rate      float64 // events per second; 0 publishes as fast as possible
}

// broadcastResult is what the readers saw.
type broadcastResult struct {
	delivered     int
	perSecond     float64 // deliveries per second, first publish to last delivery
	p50, p99, max time.Duration
	lost          int // events a reading subscriber never got
	reordered     int // events that arrived out of order or twice
	stalledClosed int // stalled subscribers the server closed
	cost          cost
}

// subscriber is one client stream of events, whatever the transport.
type subscriber struct {
	next  func(ctx context.Context) ([]byte, error)
	close func()
}

func dialSubscriber(ctx context.Context, hc *http.Client, s *server, transport string) (*subscriber, error) {
	switch transport {
	case "websocket":
		c, err := dialWS(ctx, hc, s.url("ws", "/ws"))
		if err != nil {
			return nil, err
		}
		return &subscriber{
			next: func(ctx context.Context) ([]byte, error) {
				_, b, err := c.Read(ctx)
				return b, err
			},
			close: func() { _ = c.CloseNow() },
		}, nil
	case "sse":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("http", "/sse"), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "text/event-stream")
		// The stream outlives the dial context: detach it.
		req = req.WithContext(context.WithoutCancel(ctx))
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("anyws-bench: GET /sse: %s", resp.Status)
		}
		p := sse.NewParser(resp.Body, 1<<20)
		return &subscriber{
			next: func(context.Context) ([]byte, error) {
				for {
					ev, err := p.Next()
					if err != nil || ev.Type == "message" {
						return ev.Data, err
					}
				}
			},
			close: func() { _ = resp.Body.Close() },
		}, nil
	}
	return nil, fmt.Errorf("anyws-bench: unknown transport %q", transport)
}

// dialMany opens n subscribers, 64 at a time.
func dialMany(ctx context.Context, hc *http.Client, s *server, transport string, n int) ([]*subscriber, error) {
	out := make([]*subscriber, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			out[i], errs[i] = dialSubscriber(dctx, hc, s, transport)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(out)
		return nil, fmt.Errorf("anyws-bench: dial %d %s subscribers: %w", n, transport, err)
	}
	return out, nil
}

func closeAll(subs []*subscriber) {
	for _, s := range subs {
		if s != nil {
			s.close()
		}
	}
}

// stalledClient's connections have a tiny receive buffer and are never
// read, so the server's writes to them block soon.
func stalledClient() *http.Client {
	hc := newClient()
	d := hc.Transport.(*http.Transport)
	d.DialContext = func(ctx context.Context, network, addr string) (netConn, error) {
		return dialLoopbackWith(ctx, network, addr, func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}
	return hc
}

// runBroadcast connects the subscribers, has the server publish, and
// checks that every reading subscriber got every event, in order.
func runBroadcast(s *server, cfg broadcastConfig, timeout time.Duration) (broadcastResult, error) {
	var res broadcastResult
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	hc := newClient()
	defer hc.CloseIdleConnections()
	subs, err := dialMany(ctx, hc, s, cfg.transport, cfg.subs)
	if err != nil {
		return res, err
	}
	defer closeAll(subs)
	var stalled []*subscriber
	if cfg.stalled > 0 {
		shc := stalledClient()
		defer shc.CloseIdleConnections()
		if stalled, err = dialMany(ctx, shc, s, cfg.transport, cfg.stalled); err != nil {
			return res, err
		}
		defer closeAll(stalled)
	}
	if err := s.waitPeers(cfg.subs+cfg.stalled, 60*time.Second); err != nil {
		return res, err
	}

	type readerResult struct {
		lat       []time.Duration
		last      time.Time
		reordered int
		err       error
	}
	// A reader blocked on a stream ends when the run's deadline closes it.
	stop := context.AfterFunc(ctx, func() { closeAll(subs) })
	defer stop()
	results := make([]readerResult, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Go(func() {
			r := &results[i]
			r.lat = make([]time.Duration, 0, cfg.events)
			want := 0
			for want < cfg.events {
				b, err := sub.next(ctx)
				if err != nil {
					r.err = err
					return
				}
				now := time.Now()
				seq, sent, ok := parsePayload(b)
				if !ok {
					r.err = fmt.Errorf("anyws-bench: unexpected payload %.40q", b)
					return
				}
				if seq != want {
					r.reordered++
				}
				want = seq + 1
				r.lat = append(r.lat, now.Sub(sent))
				r.last = now
			}
		})
	}
	st0, err := s.stats(false)
	if err != nil {
		return res, err
	}
	start := time.Now()
	pubErr := s.publish(cfg.events, cfg.size, cfg.rate)
	wg.Wait()
	if pubErr != nil {
		return res, pubErr
	}
	st1, err := s.stats(false)
	if err != nil {
		return res, err
	}

	var all []time.Duration
	var last time.Time
	var readErr error
	for _, r := range results {
		res.delivered += len(r.lat)
		res.lost += cfg.events - len(r.lat)
		res.reordered += r.reordered
		all = append(all, r.lat...)
		if r.last.After(last) {
			last = r.last
		}
		if r.err != nil && readErr == nil {
			readErr = r.err
		}
	}
	res.cost = costBetween(st0, st1, int64(res.delivered))
	if res.delivered > 0 {
		res.perSecond = float64(res.delivered) / last.Sub(start).Seconds()
	}
	slices.Sort(all)
	res.p50, res.p99, res.max = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 1)
	if cfg.stalled > 0 {
		// The policy closes a stalled subscriber once its queue overflows
		// or a write to it times out: give it a few seconds more.
		_ = s.waitPeers(cfg.subs, 10*time.Second)
		if st, err := s.stats(false); err == nil {
			res.stalledClosed = max(cfg.subs+cfg.stalled-st.Peers, 0)
		}
	}
	if readErr != nil && res.lost > 0 {
		return res, fmt.Errorf("anyws-bench: broadcast over %s: %d events lost, first error: %w", cfg.transport, res.lost, readErr)
	}
	return res, nil
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
