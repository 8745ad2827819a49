package anyws

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Peer is one connected client, whatever its transport: the one handle an
// application holds. All methods are safe for concurrent use, never block
// on the network, and are harmless after the peer has closed.
type Peer struct {
	hub       *Hub
	hooks     *Hooks // shared with the other peers of its route
	id        string
	secret    string // resume and uplink token (Session.Secret)
	req       *http.Request
	remote    string
	ns        string
	transport string
	protocol  string
	// ctx is made by the first Context call: most peers never need one
	// (cancelled at once when the peer is closing already).
	ctx atomic.Pointer[peerContext]

	mu     sync.Mutex // guards values, topics, gone, starts
	values map[string]any
	topics topicSet
	// starts holds where the peer started on each topic, for its record
	// in the broker (peer_records.go); nil when it has none.
	starts map[string]pubsub.Position

	q       queue
	dropped atomic.Int64 // messages dropped under OverflowDrop, not yet reported

	// closing is the first close asked for (Close, CloseNow, an
	// overflow, Shutdown, a finish): nil while the peer is open.
	closing atomic.Pointer[closeRequest]

	// cur is the connection serving the peer, nil while it waits to be
	// resumed (or once it finished). linkMu orders attaching, detaching
	// and finishing.
	cur    atomic.Pointer[link]
	linkMu sync.Mutex
	grace  *time.Timer // under linkMu: the resume window of a detached peer (expire)
	// handing is, under linkMu, closed once a hand-over to another node
	// under way is done (the peer is gone from here then): a claim that
	// comes meanwhile waits for it and follows the peer.
	handing chan struct{}

	upSeq uint64 // under hookMu: the client's last delivered message number

	// prev and next link the peers of its namespace, listed while it is
	// registered (nsPeers), under hub.mu.
	prev, next *Peer

	// The small fields last, packed: an idle peer keeps its Peer.
	hookMu   sync.Mutex // serializes the hooks
	finished sync.Once
	gone     bool // under mu: unregistered: Subscribe does nothing any more
	closed   bool // under hookMu: the Close hook has run
	listed   bool // under hub.mu: in its namespace's list
}

type closeRequest struct {
	code    StatusCode
	reason  string
	abrupt  bool  // no close handshake (CloseNow)
	discard bool  // drop what is queued instead of flushing it
	err     error // why the server closed, reported to the Error hook
	// overflow: an enqueue asked, maybe inside a fan-out, which holds the
	// topic index: a peer without a connection is finished on a goroutine
	// of its own, since finishing leaves its topics.
	overflow bool
}

// cause is what a peer's context is cancelled with when it is closing.
func (c *closeRequest) cause() error {
	return fmt.Errorf("anyws: peer closing: %d %q", c.code, c.reason)
}

// ID is the peer's public id, a random UUID v4. It is safe to show to other
// users; the secret that lets a client post as this peer (SSE uplink token)
// is a different value.
func (p *Peer) ID() string { return p.id }

// Request is the HTTP request that opened the peer: the WebSocket handshake
// or the SSE GET. Its body has been consumed. Its context ends when its
// HTTP handler returns: for SSE when the stream ends, for WebSocket right
// after the handshake, before the Open hook runs (the adapter keeps no
// goroutine in the handler, and a WebSocket peer may keep a copy of the
// request over a smaller context with the same values: the Upgrade
// hook's Handshake.Request is the request itself).
// Use Context for the peer's lifetime; it carries the request's values.
func (p *Peer) Request() *http.Request { return p.req }

// RemoteAddr is the client's IP address, without port or brackets ("::1").
// It is the direct peer of the TCP connection: behind a proxy, read the
// forwarding header your proxy sets from Request instead.
func (p *Peer) RemoteAddr() string { return p.remote }

// Namespace is the peer's namespace (by default the URL path).
func (p *Peer) Namespace() string { return p.ns }

// Transport is "websocket" or "sse".
func (p *Peer) Transport() string { return p.transport }

// ResumeStatus tells how the peer's current connection began: a new
// peer (zero), a claim that failed (Attempted, with the Reason), a
// resume (Resumed), or a recovery after its node died (Recovered: the
// Open hook runs again, and may want to skip what it sends a new peer,
// such as a welcome its client already had). The zero value while the
// peer waits to be resumed.
func (p *Peer) ResumeStatus() ResumeStatus {
	if l := p.cur.Load(); l != nil {
		return l.status()
	}
	return ResumeStatus{}
}

// Protocol is the negotiated sub-protocol, or "".
func (p *Peer) Protocol() string { return p.protocol }

// Context is cancelled the moment the peer starts closing (Close,
// CloseNow, an overflow, Hub.Shutdown, a failed connection), before the
// Close hook runs and whatever the peer's hooks are doing: a Message hook
// that waits on it returns, so the peer can finish. Use it to stop work
// done on the peer's behalf.
func (p *Peer) Context() context.Context {
	if c := p.ctx.Load(); c != nil {
		return c.ctx
	}
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(p.req.Context()))
	c := &peerContext{ctx: ctx, cancel: cancel}
	if !p.ctx.CompareAndSwap(nil, c) {
		cancel(nil)
		return p.ctx.Load().ctx
	}
	// A close that came before the context was stored did not see it:
	// the context starts cancelled then (requestClose cancels it with
	// the same cause when it sees it; the first cause stays).
	if cl := p.closing.Load(); cl != nil {
		cancel(cl.cause())
	}
	return ctx
}

// peerContext is a peer's context (Peer.Context) once it was asked for.
type peerContext struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// cancel cancels the peer's context, if it was made, with cause.
func (p *Peer) cancel(cause error) {
	if c := p.ctx.Load(); c != nil {
		c.cancel(cause)
	}
}

// logContext is the context the peer's log records carry: its
// context's values, without making the context.
func (p *Peer) logContext() context.Context {
	if c := p.ctx.Load(); c != nil {
		return c.ctx
	}
	return context.WithoutCancel(p.req.Context())
}

// Set stores a per-peer value.
func (p *Peer) Set(key string, v any) {
	p.mu.Lock()
	if p.values == nil {
		p.values = make(map[string]any)
	}
	p.values[key] = v
	p.mu.Unlock()
}

// Get returns a per-peer value set by Set or by the Upgrade hook.
func (p *Peer) Get(key string) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.values[key]
	return v, ok
}

// Values returns a copy of all per-peer values (crossws's peer.context).
func (p *Peer) Values() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.values)
}

// Value returns the per-peer value under key if it has type T.
func Value[T any](p *Peer, key string) (T, bool) {
	v, ok := p.Get(key)
	t, ok2 := v.(T)
	return t, ok && ok2
}

// Send queues data for the peer: a string is sent as text, a []byte as
// binary, a Message as itself, an Event as a named SSE event, anything else
// as JSON text. It never blocks:
// it returns ErrClosed once the peer is closed and ErrQueueFull when its
// queue is full (see OverflowPolicy).
func (p *Peer) Send(data any) error {
	m, err := messageOf(data)
	if err != nil {
		return err
	}
	return p.enqueue(NewPayload(m))
}

func (p *Peer) enqueue(f *Payload) error {
	if p.closing.Load() != nil {
		return ErrClosed
	}
	switch p.q.push(f) {
	case pushedFirst:
		p.signal()
		return nil
	case pushed:
		return nil
	case pushClosed:
		return ErrClosed
	}
	p.hub.queueFull(p)
	if p.hub.opts.Overflow == OverflowDrop {
		p.dropped.Add(1)
		p.signal()
		return ErrQueueFull
	}
	p.requestClose(closeRequest{
		code: StatusTryAgainLater, reason: "send queue full",
		discard: true, overflow: true, err: fmt.Errorf("%w: peer %s is too slow, closing it", ErrQueueFull, p.id),
	})
	return ErrQueueFull
}

// Subscribe adds the peer to topic, so Publish to it reaches the peer.
func (p *Peer) Subscribe(topic string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return
	}
	added := p.topics.add(topic)
	p.hub.subscribe(p, topic)
	if p.starts != nil && added { // its record changes
		p.noteStart(topic)
		p.hub.store.changed(p)
	}
}

// Unsubscribe removes the peer from topic.
func (p *Peer) Unsubscribe(topic string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.topics.remove(topic) {
		return
	}
	p.hub.unsubscribe(p, topic)
	if p.starts != nil {
		delete(p.starts, topic)
		p.hub.store.changed(p)
	}
}

// Topics returns the peer's topics, sorted.
func (p *Peer) Topics() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(p.topics.all())
}

// Publish sends data (converted as by Send) to every other subscriber of
// topic in the peer's namespace, on this node and, through the Hub's
// broker, on others. The peer itself does not receive it.
func (p *Peer) Publish(topic string, data any) error {
	m, err := messageOf(data)
	if err != nil {
		return err
	}
	return p.hub.publish(p.ns, topic, m, p)
}

// Peers returns the open peers of the peer's namespace, itself included, in
// the order they connected.
func (p *Peer) Peers() []*Peer { return p.hub.namespacePeers(p.ns) }

// Close closes the peer with a code and reason after what is already queued
// has been written. The Close hook then runs with that code. It returns at
// once; calling it again, or after the peer closed, does nothing. A
// WebSocket client receives the code and reason in its close frame, an
// SSE client in a "close" event. A code no transport can send (see
// StatusCode.Sendable) closes with StatusInternalError and returns an
// error wrapping ErrCloseCode; a reason longer than 123 bytes is cut on
// a UTF-8 boundary. The Close hook sees what was sent.
func (p *Peer) Close(code StatusCode, reason string) error {
	code, reason, err := sendableClose(code, reason)
	p.requestClose(closeRequest{code: code, reason: reason})
	return err
}

// CloseNow closes the connection at once, without a close handshake and
// without flushing the queue. The Close hook sees StatusAbnormalClosure.
func (p *Peer) CloseNow() error {
	p.requestClose(closeRequest{
		code: StatusAbnormalClosure, reason: "closed by server", abrupt: true, discard: true,
	})
	return nil
}

func (p *Peer) requestClose(c closeRequest) {
	first := false
	if p.closing.Load() == nil {
		cr := c // allocated only here
		first = p.closing.CompareAndSwap(nil, &cr)
	}
	if first {
		// Hooks that wait on the context must return before the peer
		// can finish (the Close hook runs after them).
		p.cancel(c.cause())
	}
	if c.discard {
		// Release the queue now: the close of a client that does not
		// read may take until the write deadline. Also after a graceful
		// close was requested: CloseNow escalates it.
		p.hub.dropped(p, p.q.discard())
	}
	l := p.cur.Load()
	if l == nil {
		switch {
		case !first:
		case c.overflow:
			go p.closeDetached()
		default:
			p.closeDetached()
		}
		return
	}
	switch {
	case c.abrupt:
		l.end(CloseInfo{Code: c.code, Reason: c.reason}, false)
		l.c.Abort()
	case c.discard:
		// An overflow: the pending messages were dropped above. A write
		// in progress may finish, then the writer sends the close, so a
		// client that reads again learns why; one stuck is aborted
		// (link_overflow.go).
		l.abortIfStuck()
	}
	l.notify()
}

// signal tells the peer's connection that there is work: messages queued
// into an empty queue, dropped messages to report. A peer waiting to be
// resumed keeps its messages for the next connection.
func (p *Peer) signal() {
	if l := p.cur.Load(); l != nil {
		l.notify()
	}
}

// Buffered is the number of payload bytes queued for the peer and not yet
// written to the connection (crossws's bufferedAmount).
func (p *Peer) Buffered() int { return p.q.bufferedBytes() }

// Drain waits until everything queued so far has been written to the
// connection, the peer closes (ErrClosed) or ctx ends.
func (p *Peer) Drain(ctx context.Context) error { return p.q.drain(ctx) }

// String returns the peer's id, as crossws's toString does.
func (p *Peer) String() string { return p.id }

// recoverHook runs a hook, turning a panic into an error reported to the
// Error hook and closing the peer: one faulty handler never takes the
// process or other peers down.
func (p *Peer) recoverHook(name string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("anyws: %s hook panicked: %v", name, r)
			if e, ok := r.(error); ok {
				err = fmt.Errorf("anyws: %s hook panicked: %w", name, e)
			}
			p.reportError(hookPanic{err})
			p.requestClose(closeRequest{code: StatusInternalError, reason: "internal error"})
		}
	}()
	fn()
}

func (p *Peer) reportError(err error) {
	p.hub.logPeerError(p, err)
	if p.hooks.Error == nil || err == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			// A panicking Error hook has nowhere left to report to.
			_ = r
		}
	}()
	p.hooks.Error(p, err)
}

// recoverHookNoClose is recoverHook for the Close hook, when the peer is
// already closed.
func (p *Peer) recoverHookNoClose(name string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			p.reportError(hookPanic{fmt.Errorf("anyws: %s hook panicked: %v", name, r)})
		}
	}()
	fn()
}
