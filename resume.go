package anyws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/google/uuid"
)

// A peer outlives its connection: when the connection drops (not when
// either side closes it on purpose) the peer is detached and waits
// Options.ResumeWindow for its client to come back with its secret and
// the number of the last message it received. Messages published or sent
// meanwhile are queued as usual; a resumed peer gets what it missed (what
// the dropped connection may not have delivered, then what was queued),
// in order, once. The Close hook runs when the window ends without a
// resume.

// DefaultResumeWindow is Options.ResumeWindow's default.
const DefaultResumeWindow = 2 * time.Minute

// resumeWindow is how long a dropped peer waits; 0 or less: recovery off.
func (h *Hub) resumeWindow() time.Duration { return h.opts.ResumeWindow }

// newSecret returns 128 random bits, base64url (22 characters: every
// event of a resumable SSE stream carries it in its id).
func newSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// parseClaim splits "<key>:<seq>" (the key: see Session.ResumeKey).
func parseClaim(s string) (key string, seq uint64, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return s[:i], seq, true
}

// attachNew makes a new peer for hs, registers it, runs its Open hook and
// starts its writer.
func (h *Hub) attachNew(hs *Handshake, c Conn, o *AttachOptions, rs ResumeStatus) (*Session, error) {
	p := h.newPeer(hs, uuid.NewString(), newSecret(), hs.Namespace)
	if !o.Resumable {
		// Its client cannot resume it (plain WebSocket): keep nothing
		// of what was written.
		p.q.lim = &h.qlim[1]
	} else if h.store != nil && h.resumeWindow() > 0 {
		p.starts = make(map[string]pubsub.Position) // it gets a record
	}
	if err := h.register(p); err != nil {
		p.cancel(err)
		return nil, err
	}
	return h.open(p, c, o, rs), nil
}

// open serves a registered peer over c and runs its Open hook: a new
// peer, or one rebuilt after its node died (resume_recover.go).
func (h *Hub) open(p *Peer, c Conn, o *AttachOptions, rs ResumeStatus) *Session {
	h.peerOpened(p, rs)
	rs.why = "" // for the log only: the status compares as documented
	l := newLink(p, c, o, rs)
	s := &Session{p: p, l: l} // one handle: the transport keeps it
	if b, ok := c.(Binder); ok {
		b.Bind(s)
	}
	p.cur.Store(l)
	p.hookMu.Lock()
	if p.hooks.Open != nil {
		p.recoverHook("Open", func() { p.hooks.Open(p) })
	}
	p.hookMu.Unlock()
	if p.starts != nil {
		h.store.changed(p) // even when Open subscribed it to nothing
	}
	l.arm()
	l.notify() // the first Write, even of nothing
	return s
}

// newPeer makes the peer a handshake asked for, not yet registered.
func (h *Hub) newPeer(hs *Handshake, id, secret, ns string) *Peer {
	p := &Peer{
		hub:       h,
		hooks:     hs.hooks,
		id:        id,
		secret:    secret,
		req:       hs.Request,
		remote:    remoteIP(hs.Request.RemoteAddr),
		ns:        ns,
		transport: hs.transport,
		protocol:  hs.Protocol,
		values:    hs.values,
	}
	p.q.init(&h.qlim[0])
	return p
}

// resume gives the peer a claim names back to its client over c, or
// returns nil and why not.
func (h *Hub) resume(hs *Handshake, c Conn, o *AttachOptions) (*Session, ResumeStatus) {
	rs := ResumeStatus{Attempted: true}
	claim, mark := sse.CutMark(o.Resume)
	key, seq, ok := parseClaim(claim)
	if !ok {
		rs.Reason, rs.why = "refused", "the claim is malformed"
		return nil, rs
	}
	secret, node := splitKey(key)
	h.awaitIncoming(context.Background(), secret) // a move here in progress
	h.mu.Lock()
	p := h.bySecret[secret]
	h.mu.Unlock()
	if p == nil {
		if node != "" {
			// The node the claim names is the newest the client knows of
			// (this node's record of a move may be older): ask there.
			return h.resumeRemote(hs, c, o, secret, node, seq, mark)
		}
		rs.Reason, rs.why = "unknown", "no such peer here, and the claim names no node"
		return nil, rs
	}
	switch rs.Reason = p.reclaim(seq, h.resumeWindow(), h.canMend(o, mark)); rs.Reason {
	case "":
	case "mend":
		// It missed more than was kept: its topics' messages come again
		// from the history, after its marks.
		rs.Reason, rs.Mended = "", true
		rs.Gaps = h.mendPeer(p, o, mark)
	case "moved": // to another node while this claim waited: follow it
		return h.resumeRemote(hs, c, o, secret, h.opts.NodeID, seq, mark)
	case "stuck", "busy":
		// Not the client's fault, and its peer is still here: it
		// claims again (ErrClaimAgain) rather than get a new one.
		rs.Reason, rs.again = "unknown", true
		return nil, rs
	case "unknown":
		rs.why = "the peer here has ended, or its resume window is ending"
		return nil, rs
	default:
		rs.why = "the client missed more than the peer kept, and the claim has no marks to mend it from the history"
		return nil, rs
	}
	rs.Resumed = true
	l := newLink(p, c, o, rs)
	s := &Session{p: p, l: l} // one handle: the transport keeps it
	if b, ok := c.(Binder); ok {
		b.Bind(s)
	}
	p.cur.Store(l)
	p.linkMu.Unlock()
	h.peerResumed(p)
	p.hookMu.Lock()
	if !p.closed && p.hooks.Resume != nil {
		p.recoverHook("Resume", func() { p.hooks.Resume(p) })
	}
	p.hookMu.Unlock()
	l.arm()
	l.notify()
	return s, rs
}

// reclaim takes a detached peer back for a client that claims it from
// seq on (a resume here, or a move to another node): it ends the peer's
// connection if the server had not seen it drop (waiting at most wait),
// stops its resume window and rewinds its queue to after seq. It returns
// with p.linkMu held, or with the reason it could not ("unknown": gone
// or expiring; "moved": handed to another node by a claim that came
// first; "stuck": its connection did not end in time; "busy": other
// claims kept taking it over; "gap": messages
// after seq are no longer kept, and the peer is closed with
// StatusResumeFailed).
//
// Two claims of one client can meet (its connection dropped again
// before it heard the answer to the first, and the second came here or
// asked here): the later one wins. It takes over the connection the
// first one attached, or, when the first one is moving the peer to
// another node, waits for that and follows it.
//
// mend: the claim carries the client's marks (Hub.canMend), so a client
// that missed more than the queue kept can still get its topics'
// messages from the history: then the queue starts again after seq
// (queue.restart, holding what comes live) and reclaim returns "mend",
// with p.linkMu held, instead of "gap".
func (p *Peer) reclaim(seq uint64, wait time.Duration, mend bool) (reason string) {
	for tries := 0; ; tries++ {
		if old := p.cur.Load(); old != nil {
			// The client is back before the server saw its old
			// connection go: end that one first.
			old.c.Abort()
			select {
			case <-old.handedOn():
			case <-time.After(wait):
				return "stuck"
			}
		}
		p.linkMu.Lock()
		if p.cur.Load() != nil && tries < 3 {
			p.linkMu.Unlock()
			continue // another claim attached it meanwhile: take it over
		}
		if ch := p.handing; ch != nil {
			p.linkMu.Unlock()
			select {
			case <-ch:
				return "moved"
			case <-time.After(wait):
				return "stuck"
			}
		}
		break
	}
	if p.cur.Load() != nil {
		// Taken over again and again: the client's claims race.
		p.linkMu.Unlock()
		return "busy"
	}
	if p.grace == nil || !p.grace.Stop() {
		// Finished, or expiring right now.
		p.linkMu.Unlock()
		return "unknown"
	}
	p.grace = nil
	p.hub.waiting.Add(-1)
	if !p.q.rewind(seq) {
		if mend {
			p.q.restart(seq, nil)
			return "mend"
		}
		p.linkMu.Unlock()
		p.finish(CloseInfo{Code: StatusResumeFailed, Reason: "resume failed: missed messages are no longer kept"})
		return "gap"
	}
	return ""
}

// connectionEnded hands the peer on once its connection l is over: it
// waits to be resumed if the connection dropped and recovery is on,
// else it finishes.
func (p *Peer) connectionEnded(l *link, info CloseInfo, drop bool) {
	h := p.hub
	p.linkMu.Lock()
	if p.cur.Load() != l {
		p.linkMu.Unlock()
		return
	}
	p.cur.Store(nil)
	if drop && l.resumable && h.resumeWindow() > 0 && p.closing.Load() == nil && !h.closed.Load() && h.wait() {
		p.q.unsend()
		p.grace = time.AfterFunc(h.resumeWindow(), func() { p.expire(info) })
		p.linkMu.Unlock()
		h.peerDetached(p, info)
		p.hookMu.Lock()
		if !p.closed && p.hooks.Disconnect != nil {
			p.recoverHook("Disconnect", func() { p.hooks.Disconnect(p, info) })
		}
		p.hookMu.Unlock()
		return
	}
	p.linkMu.Unlock()
	p.finish(info)
}

// wait counts one more peer waiting to be resumed, unless there are
// Options.ResumeMaxPeers already.
func (h *Hub) wait() bool {
	if h.waiting.Add(1) > int64(h.opts.ResumeMaxPeers) {
		h.waiting.Add(-1)
		return false
	}
	return true
}

// expire ends a detached peer whose client did not come back in time;
// info is why its connection dropped.
func (p *Peer) expire(info CloseInfo) {
	p.linkMu.Lock()
	if p.grace == nil || p.cur.Load() != nil {
		p.linkMu.Unlock()
		return
	}
	p.grace = nil
	p.hub.waiting.Add(-1)
	p.linkMu.Unlock()
	if info.Reason == "" {
		info.Reason = "not resumed"
	}
	p.finish(info)
}

// closeDetached finishes a peer the server closes while it waits to be
// resumed: there is no connection to close.
func (p *Peer) closeDetached() {
	p.linkMu.Lock()
	if p.cur.Load() != nil || p.grace == nil {
		p.linkMu.Unlock()
		return
	}
	p.grace.Stop()
	p.grace = nil
	p.hub.waiting.Add(-1)
	p.linkMu.Unlock()
	c := p.closing.Load()
	p.finish(CloseInfo{Code: c.code, Reason: c.reason})
}

// finish ends the peer, once: it unregisters it, leaves its topics, drops
// its queue, cancels its context and runs the Close hook with info.
func (p *Peer) finish(info CloseInfo) {
	p.finished.Do(func() {
		h := p.hub
		p.requestClose(closeRequest{code: info.Code, reason: info.Reason})
		p.hookMu.Lock()
		p.closed = true
		p.hookMu.Unlock()

		h.unregister(p)
		h.peerFinished(p, info)
		p.mu.Lock()
		p.gone = true
		topics := p.topics
		p.topics = topicSet{}
		p.mu.Unlock()
		for t := range topics.all() {
			h.unsubscribe(p, t)
		}
		h.dropped(p, p.q.close())
		if p.starts != nil && !info.Moved {
			h.store.ended(p) // the node it moved to keeps the record
		}
		p.cancel(fmt.Errorf("anyws: peer closed: %s", info))

		if err := p.closing.Load().err; err != nil {
			p.reportError(err)
		}
		if p.hooks.Close != nil {
			p.recoverHookNoClose("Close", func() { p.hooks.Close(p, info) })
		}
		h.sessions.Done()
	})
}

// deliver runs the Message hook for m, in order, unless the client's
// number seq says it was delivered already.
func (p *Peer) deliver(m Message, seq uint64) error {
	p.hookMu.Lock()
	defer p.hookMu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if seq != 0 {
		if seq <= p.upSeq {
			return nil // a resend of what was delivered
		}
		p.upSeq = seq
	}
	p.hub.received(p, m)
	if p.hooks.Message != nil {
		p.recoverHook("Message", func() { p.hooks.Message(p, m) })
	}
	return nil
}

// reportErrorOpen passes err to the Error hook unless the peer finished.
func (p *Peer) reportErrorOpen(err error) {
	p.hookMu.Lock()
	closed := p.closed
	p.hookMu.Unlock()
	if !closed {
		p.reportError(err)
	}
}
