package anyws

import (
	"time"
)

// This file is the seam a transport is written against. An application
// does not need it: it mounts an adapter and writes Hooks.
//
// A transport serves a peer in three steps:
//
//	hs, err := hub.Accept(r, route, "mytransport", offered) // runs the Upgrade hook
//	... its handshake, writing hs.Header and hs.Protocol ...
//	s, err := hub.Attach(hs, conn, &anyws.AttachOptions{...}) // new or resumed peer; Open or Resume hook
//	... its reader: s.Deliver(m, seq) for each message read, then
//	    s.Closed(info) or s.Dropped(info) as its last call ...
//
// The core owns everything else: it writes through conn from a writer
// goroutine that runs only while there is something to write, sends
// keep-alives when the connection is idle, decides how a close is done,
// keeps what a dropped connection may have lost, and runs the Close hook
// once.

// Conn is one client connection, as a transport implements it. The core
// calls Write, WriteClose and KeepAlive from one goroutine at a time
// (never two at once, never after the transport called Closed or
// Dropped), without holding a lock; Abort may be called from any
// goroutine at any time.
type Conn interface {
	// Write writes a batch of messages, in order, and sends them (one
	// system call where it can), within the transport's write deadline.
	// The first Write of a connection comes right after the Open (or
	// Resume) hook, even when the batch is empty, so a transport can send
	// its response headers or greeting then. An error means the
	// connection is lost: the core calls Abort and waits for the reader's
	// Dropped. An error that wraps ErrClientLeft (the client closed the
	// connection) leaves it to the reader to say how it ended.
	Write(b Batch) error
	// WriteClose sends the close (code and reason) after the last Write
	// and then ends the connection the way the protocol ends it cleanly
	// (close handshake, end of response), within the write deadline; the
	// reader then sees the end and calls Closed.
	WriteClose(code StatusCode, reason string) error
	// KeepAlive sends a keep-alive (a ping, a comment line); the core
	// calls it when the connection has written nothing for the
	// KeepAlive interval of AttachOptions. It must not wait for an
	// answer: a transport that expects one (a pong) aborts the connection
	// itself when the answer is late.
	KeepAlive() error
	// Abort ends the connection at once, without a close handshake: it
	// unblocks a Write in progress, and the reader returns soon after
	// and calls Dropped (or Closed). It may be called more than once.
	Abort()
}

// Binder is what a Conn implements to learn its Session before the
// core's first call on it (Write runs on the writer goroutine, possibly
// before Attach has returned): a transport whose first Write sends the
// peer's secret needs it.
type Binder interface {
	Bind(s *Session)
}

// PooledConn is what a Conn implements to have its writes made from the
// Hub's writer pool (a few goroutines for all such connections) rather
// than a writer goroutine of the peer's own: a transport whose Write
// only hands the bytes to another goroutine and rarely blocks (an
// HTTP/2 stream, whose writes net/http's connection goroutine makes).
// Pooled reports whether this connection's writes should be pooled. A
// Write that blocks holds up the pool's other connections for a few
// milliseconds, until the pool starts another worker: a transport whose
// writes are system calls on the client's own socket should not pool.
type PooledConn interface {
	Pooled() bool
}

// Batch is what one Write writes: messages for the peer, oldest first,
// the first of them with sequence number Seq and the others following.
// Sequence numbers count every message queued for the peer (1, 2, 3, …),
// so a client that tells which it saw last can be resumed after it.
// Payloads is valid until Write returns: it is a window on the peer's
// queue, whose array is reused for the next messages (the Payloads
// themselves may be kept).
type Batch struct {
	Payloads []*Payload
	Seq      uint64
}

// AttachOptions tell Attach how the transport wants its peer served.
type AttachOptions struct {
	// KeepAlive is how long the connection may stay idle before the core
	// calls Conn.KeepAlive. 0: never.
	KeepAlive time.Duration
	// Resumable says the client can resume a peer after a dropped
	// connection (it knows the protocol: SSE's Last-Event-ID, anyws's
	// clients). A dropped connection of a client that cannot ends its
	// peer at once.
	Resumable bool
	// Resume is the client's claim to an earlier peer, as the transport
	// read it (SSE: the Last-Event-ID header): the peer's ResumeKey (its
	// secret, and the node holding it when it may move), a colon, and
	// the sequence number of the last message the client received
	// ("<key>:<seq>"), possibly followed by the last message's mark
	// ("~<mark>": a browser's EventSource sends back the last id).
	// Empty: a new peer.
	Resume string
	// Marks are the client's last topic positions, one per tag (see
	// Payload.Mark), when it keeps them (anyws's clients: the SSE
	// X-Anyws-Marks header, a WebSocket ClientHello's marks); non-nil,
	// even empty, says the list is complete. With them a peer whose
	// node died is rebuilt here with everything it missed of its
	// topics.
	Marks []string
	// Sent is the number of the last message the client numbered, when
	// it says (anyws's clients, with a claim): a peer rebuilt after its
	// node died delivers only later numbers (at most once: the dead node
	// may have delivered any of those).
	Sent uint64
}

// Attach serves the peer a handshake accepted over c, and returns the
// transport's handle on it. With a valid AttachOptions.Resume it is the
// earlier peer, resumed (its Resume hook runs, and what it missed is
// written first); otherwise a new peer (its Open hook runs). It fails
// with ErrHubClosed after Shutdown, and with ErrClaimAgain when the
// claimed peer could not be taken over now: the transport then ends the
// connection as a drop (no close), so that the client claims again.
func (h *Hub) Attach(hs *Handshake, c Conn, o *AttachOptions) (*Session, error) {
	var opts AttachOptions
	if o != nil {
		opts = *o
	}
	if opts.Resume != "" && h.resumeWindow() > 0 {
		s, status := h.resume(hs, c, &opts)
		switch {
		case s != nil:
			return s, nil
		case status.again:
			return nil, ErrClaimAgain
		}
		return h.attachNew(hs, c, &opts, status)
	}
	return h.attachNew(hs, c, &opts, ResumeStatus{})
}

// Session is a transport's handle on one connection of a peer.
type Session struct {
	p *Peer
	l *link // nil for the handles Hub.Lookup returns
}

// Peer is the peer this connection serves.
func (s *Session) Peer() *Peer { return s.p }

// Secret is the peer's secret: the token that lets this client post as
// the peer (the SSE uplink) and resume it after a dropped connection
// (within ResumeKey, the first part of AttachOptions.Resume). It is sent
// only to the client itself, never shown to other peers (unlike
// Peer.ID).
func (s *Session) Secret() string { return s.p.secret }

// Resume tells whether this connection resumed an earlier peer.
func (s *Session) Resume() ResumeStatus {
	if s.l == nil {
		return ResumeStatus{}
	}
	return s.l.status()
}

// Resumable reports whether the client can resume this peer after a
// dropped connection (recovery is on): a transport that can, tells the
// client each message's sequence number (SSE: its id field).
func (s *Session) Resumable() bool { return s.l != nil && s.l.resumable && s.p.hub.resumeWindow() > 0 }

// Marks reports whether this connection tells its client each
// message's mark (Payload.Mark): the peer is resumable and the Hub can
// rebuild peers whose node died.
func (s *Session) Marks() bool { return s.Resumable() && s.p.hub.store != nil }

// Deliver runs the Message hook for m, after Open and before Close, one
// call at a time; any goroutine may call it. seq is the client's number
// for m (1, 2, 3, … per peer, the SSE uplink's id), or 0 when it gives
// none: a message whose seq was delivered already is dropped, so a
// client that resends what it was not sure was received does not
// deliver it twice. It returns ErrClosed once the peer has finished.
func (s *Session) Deliver(m Message, seq uint64) error {
	return s.p.deliver(m, seq)
}

// Leave ends the peer because its client said it is leaving (an
// explicit close sent outside the connection, like an SSE client's
// goodbye POST): what is queued is dropped, the connection (if it is
// still up) gets the close and ends cleanly, and the Close hook sees
// info; the peer is not kept for a resume.
func (s *Session) Leave(info CloseInfo) {
	s.p.requestClose(closeRequest{code: info.Code, reason: info.Reason, discard: true})
}

// Received is the client's number of the last message delivered to the
// Message hook (see Deliver), 0 when none was numbered. A transport that
// resumes tells it to its client, which then sends again only what came
// after (a resumed WebSocket client, a framed SSE uplink).
func (s *Session) Received() uint64 {
	s.p.hookMu.Lock()
	defer s.p.hookMu.Unlock()
	return s.p.upSeq
}

// ReportError passes a transport error to the Error hook, unless the peer
// has already finished.
func (s *Session) ReportError(err error) { s.p.reportErrorOpen(err) }

// Closed is the reader's last call when the client closed on purpose (a
// WebSocket close frame, an explicit goodbye) or the server's close is
// done: the peer finishes, and its Close hook runs with info unless the
// server's own close came first. It returns once the core will make no
// more calls on the Conn.
func (s *Session) Closed(info CloseInfo) {
	if s.l != nil {
		s.l.closed(info, false)
	}
}

// Dropped is the reader's last call when the connection was lost (reset,
// EOF without a close, a proxy's cut, a client that disappeared): with
// recovery on the peer waits for the client to resume it, else it
// finishes with info. It returns once the core will make no more calls
// on the Conn.
func (s *Session) Dropped(info CloseInfo) {
	if s.l != nil {
		s.l.closed(info, true)
	}
}

// Lookup returns the handle of the peer whose secret (Session.Secret)
// is given, whether its connection is up or it waits to be resumed, or
// nil. A transport delivers messages that arrive outside the connection
// through it (the SSE uplink POST); its Closed and Dropped do nothing.
func (h *Hub) Lookup(secret string) *Session {
	h.mu.Lock()
	p := h.bySecret[secret]
	h.mu.Unlock()
	if p == nil {
		return nil
	}
	return &Session{p: p}
}

// ResumeStatus tells how a connection that claimed an earlier peer
// (AttachOptions.Resume) was served.
type ResumeStatus struct {
	// Attempted is true when the client claimed an earlier peer.
	Attempted bool
	// Resumed is true when it got that peer back, with everything it
	// missed.
	Resumed bool
	// Reason says why not, when Attempted and not Resumed: "unknown"
	// (no such peer: wrong secret, expired, or another node's),
	// "gap" (messages it missed are no longer kept; the earlier peer was
	// closed with StatusResumeFailed), or "refused" (bad claim).
	Reason string
	// Recovered is true, with Resumed, when the peer's node was gone
	// (killed: no longer on the broker) and this node rebuilt the peer
	// from its record in the broker and the client's marks: same ID,
	// same topics, every topic message it missed; but direct messages
	// the dead node had not written, and the client's messages it had
	// not acknowledged, are lost, and the Open hook runs again (the
	// application's state for the peer was in the dead node). Gaps
	// lists the topics whose missed messages could not be recovered
	// (history trimmed, or a claim without that topic's mark).
	Recovered bool
	// Mended is true, with Resumed, when the client had missed more than
	// the peer kept for it (Options.ReplayBytes, QueueBytes): its topics'
	// messages came again from the history, after the client's marks,
	// but direct messages among what was not kept are lost. Gaps applies
	// as for Recovered.
	Mended bool
	Gaps   []string

	// again: the claim could not be served now, for a reason that is not
	// the client's (this node lost its broker while taking the peer
	// over): Attach fails with ErrClaimAgain rather than give it a new
	// peer.
	again bool
	// why says, for the operator, which step of the claim failed (the
	// "anyws: peer opened" log's LogDetail): Reason alone does not tell
	// a peer that expired from a node that answered it did not know it.
	why string
}
