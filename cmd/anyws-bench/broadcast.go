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
)

// broadcastConfig is one broadcast run.
type broadcastConfig struct {
	transport string  // "sse", "sse-h2", "websocket" or "mixed" (every other one WebSocket, the others SSE)
	subs      int     // subscribers that read
	stalled   int     // extra subscribers that never read
	events    int     // events published
	size      int     // bytes per event
	rate      float64 // events per second; 0 publishes as fast as possible
	// connect: measure the connect rate and the server's RSS per
	// connection (the huge run).
	connect bool
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
	connectRate   float64 // connections per second, first dial to the last one counted (connect)
	rssPerConn    float64 // server RSS bytes per connection, no forced GC (connect)
}

// dialMany opens n subscribers, 64 at a time.
func dialMany(ctx context.Context, hc *http.Client, s *server, transport string, n int) ([]*subscriber, error) {
	return dialManyThen(ctx, hc, s, transport, n, nil)
}

// dialManyThen is dialMany calling opened (if not nil) with each
// subscriber as soon as it is open, from the goroutine that dialed it.
// A client that dials for minutes must read its first connections
// before the last is open: a WebSocket server pings an idle connection
// and closes it when no pong comes (anyws: after 25 + 15 s), and the
// client answers pings only while it reads.
func dialManyThen(ctx context.Context, hc *http.Client, s *server, transport string, n int, opened func(i int, sub *subscriber)) ([]*subscriber, error) {
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
			c, tr := hc, transport
			if tr == "mixed" {
				tr = [...]string{"websocket", "sse"}[i%2]
			}
			if tr == "sse-h2" {
				c = newH2CClient()
			}
			out[i], errs[i] = dialSubscriber(dctx, c, s, tr)
			if errs[i] != nil && c != hc {
				c.CloseIdleConnections()
			}
			if errs[i] == nil && opened != nil {
				opened(i, out[i])
			}
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
	var base serverStats
	if cfg.connect {
		var err error
		if base, err = s.stats(true); err != nil {
			return res, err
		}
	}
	dialStart := time.Now()
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
	if cfg.connect {
		res.connectRate = float64(cfg.subs) / time.Since(dialStart).Seconds()
		st, err := s.stats(false)
		if err != nil {
			return res, err
		}
		res.rssPerConn = float64(st.RSS-base.RSS) / float64(cfg.subs)
	}

	// A reader blocked on a stream ends when the run's deadline closes it.
	stop := context.AfterFunc(ctx, func() { closeAll(subs) })
	defer stop()
	results := make([]readerResult, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Go(func() { results[i] = readEvents(ctx, sub, cfg.events) })
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

// readerResult is what one subscriber saw of a broadcast.
type readerResult struct {
	lat       []time.Duration // publish to receipt, per event received
	last      time.Time       // when the last one arrived
	reordered int             // events out of order or twice
	err       error
}

// readEvents reads events payloads from sub, checking their order. The
// latency is the receipt's wall clock time minus the publish time in the
// payload (the wall clock of the publishing process: one time base on
// one machine, for the multi-process huge run's clients too).
func readEvents(ctx context.Context, sub *subscriber, events int) readerResult {
	r := readerResult{lat: make([]time.Duration, 0, events)}
	want := 0
	for want < events {
		b, err := sub.next(ctx)
		if err != nil {
			r.err = err
			return r
		}
		now := time.Now()
		seq, sent, ok := parsePayload(b)
		if !ok {
			r.err = fmt.Errorf("anyws-bench: unexpected payload %.40q", b)
			return r
		}
		if seq != want {
			r.reordered++
		}
		want = seq + 1
		r.lat = append(r.lat, now.Sub(sent))
		r.last = now
	}
	return r
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
