package anyws

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// This file is the seam adapters implement a transport against. An
// application does not need it: it mounts an adapter and writes Hooks.
//
// An adapter serves one peer on the goroutine of the request that opened
// it, in this order:
//
//	u, err := hub.Upgrade(r, route, "websocket", offered) // runs the Upgrade hook
//	... handshake, writing u.Header and u.Protocol ...
//	s, err := hub.Connect(u)   // registers the peer and runs its Open hook
//	... loop: write s.Take() batches when s.Wake() fires, until s.Closing()
//	    or the connection ends; call s.Deliver for each message read ...
//	s.Finish(info)             // runs the Close hook exactly once
//
// An adapter that must not keep a goroutine waiting while a peer is idle
// (the WebSocket adapter returns from the request after the hijack) calls
// s.Notify(fn) instead of waiting on Wake and Closing: fn starts a writer
// goroutine when there is work, and whichever of the adapter's goroutines
// ends last calls Finish.

// Upgrade runs the Upgrade hook (route's, else the Hub's) for a request
// that wants to become a peer over transport, which the client offered the
// sub-protocols protocols. It returns a *Rejection the adapter must write
// (its ServeHTTP does) when the hook refused, ErrHubClosed after Shutdown,
// or another error for a broken hook (answer 500; it was reported to the
// Error hook).
func (h *Hub) Upgrade(r *http.Request, route *Hooks, transport string, protocols []string) (*Upgrade, error) {
	if h.closed.Load() {
		return nil, ErrHubClosed
	}
	u := &Upgrade{
		Request:   r,
		Header:    make(http.Header),
		Namespace: r.URL.Path,
		Protocols: protocols,
		transport: transport,
	}
	if route != nil {
		u.hooks = route.or(&h.hooks)
	} else {
		u.hooks = h.hooks
	}
	if u.hooks.Upgrade != nil {
		if err := runUpgrade(u); err != nil {
			if _, ok := err.(*Rejection); !ok && u.hooks.Error != nil {
				u.hooks.Error(nil, err)
			}
			return nil, err
		}
	}
	if u.Namespace == "" {
		u.Namespace = "/"
	}
	if u.Protocol != "" && !slices.Contains(protocols, u.Protocol) {
		err := fmt.Errorf("anyws: Upgrade hook chose sub-protocol %q, which the client did not offer (%q)", u.Protocol, protocols)
		if u.hooks.Error != nil {
			u.hooks.Error(nil, err)
		}
		return nil, err
	}
	return u, nil
}

func runUpgrade(u *Upgrade) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("anyws: Upgrade hook panicked: %v", r)
		}
	}()
	return u.hooks.Upgrade(u)
}

// Connect creates the peer an accepted Upgrade describes, registers it and
// runs its Open hook. The caller owns the returned Session and must call
// Finish once the connection is over.
func (h *Hub) Connect(u *Upgrade) (*Session, error) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(u.Request.Context()))
	p := &Peer{
		hub:       h,
		hooks:     u.hooks,
		id:        uuid.NewString(),
		req:       u.Request,
		remote:    remoteIP(u.Request.RemoteAddr),
		ns:        u.Namespace,
		transport: u.transport,
		protocol:  u.Protocol,
		ctx:       ctx,
		cancel:    cancel,
		values:    u.values,
	}
	p.writeCtx, p.abort = context.WithCancel(context.Background())
	p.q.init(h.opts.QueueMessages, h.opts.QueueBytes)
	if err := h.register(p); err != nil {
		cancel(err)
		return nil, err
	}
	s := &Session{p: p}
	p.hookMu.Lock()
	if p.hooks.Open != nil {
		p.recoverHook("Open", func() { p.hooks.Open(p) })
	}
	p.hookMu.Unlock()
	return s, nil
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return host
}

// Session is an adapter's handle on the peer it serves. Its methods other
// than Deliver and Peer are for the goroutine that owns the connection.
type Session struct {
	p          *Peer
	finishOnce sync.Once
}

// Peer returns the session's peer.
func (s *Session) Peer() *Peer { return s.p }

// Wake fires when frames are queued into an empty queue, when messages
// were dropped (see Take) and when a close is requested. It may also fire
// with nothing to do; a Take that returns nothing is normal.
func (s *Session) Wake() <-chan struct{} {
	p := s.p
	if w := p.wake.Load(); w != nil {
		return *w
	}
	// Made on first use, so that adapters using Notify pay nothing for it.
	// It starts signalled: what was queued before it existed is not missed.
	w := make(chan struct{}, 1)
	w <- struct{}{}
	if p.wake.CompareAndSwap(nil, &w) {
		return w
	}
	return *p.wake.Load()
}

// Notify makes the Session call fn, instead of signalling Wake, whenever
// the adapter has work: frames queued into an empty queue, dropped
// messages to report (Take), or a close requested (CloseRequested). It
// lets an adapter keep no goroutine waiting while its peer is idle and
// start a writer only when there is something to do.
//
// fn runs on the goroutine that caused the work (an application's Send,
// Publish or Close, a hook, Hub.Shutdown, Finish), under no lock of the
// Session's; it must not block. It may be called again while an earlier
// call's work is being done, and after the peer has finished. Notify
// calls fn once itself, for what the Open hook queued; call it once,
// right after Connect.
func (s *Session) Notify(fn func()) {
	s.p.notify.Store(&fn)
	fn()
}

// Take returns every queued frame, oldest first, as one batch to write. The
// batch is valid until the next Take. Call Written when it is written.
func (s *Session) Take() []*Frame {
	if n := s.p.dropped.Swap(0); n > 0 {
		s.p.reportError(fmt.Errorf("%w: dropped %d messages for peer %s", ErrQueueFull, n, s.p.id))
	}
	return s.p.q.take()
}

// Written records that a batch from Take reached the connection, which
// lowers Peer.Buffered and wakes Peer.Drain.
func (s *Session) Written(batch []*Frame) {
	n := 0
	for _, f := range batch {
		n += f.msg.Len()
	}
	s.p.q.written(n)
}

// WriteContext is the parent of every write's deadline context: it is
// cancelled when the server closes the peer without flushing (CloseNow, a
// queue overflow), so a write blocked on a client that stopped reading
// ends at once instead of at its deadline.
func (s *Session) WriteContext() context.Context { return s.p.writeCtx }

// Closing is closed when the server asked the peer to close (Peer.Close,
// CloseNow, a queue overflow, Hub.Shutdown).
func (s *Session) Closing() <-chan struct{} {
	p := s.p
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closeReq == nil {
		// Made on first use, so that adapters using Notify pay nothing.
		p.closeReq = make(chan struct{})
		if p.closeSet.Load() {
			close(p.closeReq)
		}
	}
	return p.closeReq
}

// CloseRequested reports whether the server asked the peer to close: the
// check an adapter using Notify makes instead of receiving from Closing.
func (s *Session) CloseRequested() bool { return s.p.closeSet.Load() }

// CloseRequest tells, once Closing is closed or CloseRequested is true,
// how to close: the code and reason to send, whether to skip the
// handshake (abrupt), and whether to drop the queue instead of flushing
// it first (discard).
func (s *Session) CloseRequest() (code StatusCode, reason string, abrupt, discard bool) {
	c := s.p.closing
	return c.code, c.reason, c.abrupt, c.discard
}

// Deliver runs the Message hook for m, after Open and before Close, one
// call at a time. It returns ErrClosed once the peer has finished; any
// goroutine may call it.
func (s *Session) Deliver(m Message) error {
	p := s.p
	p.hookMu.Lock()
	defer p.hookMu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.hooks.Message != nil {
		p.recoverHook("Message", func() { p.hooks.Message(p, m) })
	}
	return nil
}

// ReportError passes a transport error to the Error hook, unless the peer
// has already finished.
func (s *Session) ReportError(err error) {
	p := s.p
	p.hookMu.Lock()
	closed := p.closed
	p.hookMu.Unlock()
	if !closed {
		p.reportError(err)
	}
}

// Finish ends the peer: it unregisters it, leaves its topics, drops its
// queue, cancels its context and runs the Close hook with info, once.
// Later calls do nothing.
func (s *Session) Finish(info CloseInfo) {
	s.finishOnce.Do(func() { s.finish(info) })
}

func (s *Session) finish(info CloseInfo) {
	p := s.p
	h := p.hub
	p.requestClose(closeRequest{code: info.Code, reason: info.Reason})
	p.hookMu.Lock()
	p.closed = true
	p.hookMu.Unlock()

	h.unregister(p)
	p.mu.Lock()
	p.gone = true
	topics := p.topics
	p.topics = nil
	p.mu.Unlock()
	for t := range topics {
		h.unsubscribe(p, t)
	}
	p.q.close()
	p.abort()
	p.cancel(fmt.Errorf("anyws: peer closed: %s", info))

	if err := p.closing.err; err != nil {
		p.reportError(err)
	}
	if p.hooks.Close != nil {
		p.recoverHookNoClose("Close", func() { p.hooks.Close(p, info) })
	}
	h.sessions.Done()
}
