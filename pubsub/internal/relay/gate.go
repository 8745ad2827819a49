package relay

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/anyws/anyws/pubsub"
)

// Gate lets work (a delivery, a request handler) start only before Close,
// and makes Close wait for the work in flight: deliver is never called
// after a broker's Close returns.
type Gate struct {
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

// Enter reports whether work may start; if so the caller must Leave.
func (g *Gate) Enter() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

// Leave ends work started by Enter.
func (g *Gate) Leave() { g.wg.Done() }

// Closed reports whether Close was called.
func (g *Gate) Closed() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.closed
}

// Close refuses new work and waits for the work in flight.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// Counters are the atomics behind pubsub.Stats.
type Counters struct {
	Published, Delivered, Failed, Reconnects atomic.Uint64
}

// Stats returns a snapshot.
func (c *Counters) Stats() pubsub.Stats {
	return pubsub.Stats{
		Published:  c.Published.Load(),
		Delivered:  c.Delivered.Load(),
		Failed:     c.Failed.Load(),
		Reconnects: c.Reconnects.Load(),
	}
}

// Handlers are a node's request handlers by service, run with a bounded
// number in flight.
type Handlers struct {
	mu  sync.RWMutex
	m   map[string]func(context.Context, []byte) []byte
	sem chan struct{}
}

// NewHandlers returns an empty set allowing max requests in flight.
func NewHandlers(max int) *Handlers {
	return &Handlers{m: make(map[string]func(context.Context, []byte) []byte), sem: make(chan struct{}, max)}
}

// Handle registers fn for service; stop removes it.
func (h *Handlers) Handle(service string, fn func(context.Context, []byte) []byte) (stop func()) {
	h.mu.Lock()
	h.m[service] = fn
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.m, service)
		h.mu.Unlock()
	}
}

// Get returns the handler of service, or nil.
func (h *Handlers) Get(service string) func(context.Context, []byte) []byte {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.m[service]
}

// Go runs fn on a goroutine of its own, through g, once one of the max
// slots is free (it waits, holding up the caller's reading, when max
// requests are already running, or gives up when ctx ends).
func (h *Handlers) Go(ctx context.Context, g *Gate, fn func()) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if !g.Enter() {
		<-h.sem
		return
	}
	go func() {
		defer g.Leave()
		defer func() { <-h.sem }()
		fn()
	}()
}
