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

// Handlers are a node's request handlers by service, run by at most max
// goroutines at once, with a bounded backlog behind them. Go never
// blocks: the caller is the goroutine that reads the node's subscription
// (Redis) or its request subject (NATS), and a reader waiting for a free
// handler stalls every delivery behind it (head-of-line blocking).
type Handlers struct {
	mu      sync.RWMutex
	m       map[string]func(context.Context, []byte) []byte
	max     int
	backlog int

	qmu     sync.Mutex
	running int
	queue   []func()
}

// NewHandlers returns an empty set allowing max requests in flight and
// backlog more waiting for one of them.
func NewHandlers(max, backlog int) *Handlers {
	return &Handlers{m: make(map[string]func(context.Context, []byte) []byte), max: max, backlog: backlog}
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

// Go runs fn, through g, on a goroutine of its own, or queues it when max
// are running. When the backlog is full too it runs busy instead, on a
// goroutine of its own (it answers "busy", a network write), so the
// asking node hears at once that the request was not served. Go returns
// at once; nothing runs once g is closed.
func (h *Handlers) Go(g *Gate, fn, busy func()) {
	if !g.Enter() {
		return
	}
	h.qmu.Lock()
	switch {
	case h.running < h.max:
		h.running++
		h.qmu.Unlock()
		go h.work(g, fn)
	case len(h.queue) < h.backlog:
		h.queue = append(h.queue, fn)
		h.qmu.Unlock()
	default:
		h.qmu.Unlock()
		go func() {
			defer g.Leave()
			busy()
		}()
	}
}

// work runs fn, then what is queued, until the queue is empty.
func (h *Handlers) work(g *Gate, fn func()) {
	for fn != nil {
		fn()
		g.Leave()
		h.qmu.Lock()
		fn = nil
		if len(h.queue) > 0 {
			fn = h.queue[0]
			h.queue[0] = nil
			h.queue = h.queue[1:]
		} else {
			h.running--
		}
		h.qmu.Unlock()
	}
}
