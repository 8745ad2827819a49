package websocket

import (
	"context"
	"errors"
	"sync/atomic"
	"unicode/utf8"

	"github.com/anyws/anyws"
	ws "github.com/coder/websocket"
)

// peerConn is one peer's connection after the handshake: the
// anyws.Conn the core writes through, and the reader that delivers what
// the client sends. On Linux an idle peer costs no goroutine: the reader
// runs only while received bytes wait to be read, and parks the
// connection in a shared epoll set in between (idlepark_linux.go);
// elsewhere it waits in its goroutine (idlewait.go). The request's
// goroutine returns after the hijack, and the core runs a writer only
// while there is something to write.
type peerConn struct {
	h    *Handler
	conn *ws.Conn
	s    *anyws.Session
	idle *idleWait // the reader waits here between messages (idlewait.go), or nil

	// The connection's parts live here, so that an idle peer's adapter
	// state is one allocation: bc is the hijacked connection
	// (batchWriter.Hijack sets it up), lazy its reader (unused when the
	// handshake kept net/http's: lazyRead is false then), idleW what
	// idle points to when the connection can wait without a buffer.
	bc    batchConn
	lazy  lazyReader
	idleW idleWait

	ka      keepAlive // keepalive.go
	lateErr atomic.Pointer[error]
	inSeq   uint64 // the number of the client's last message (reader only)

	// marked: the client speaks anyws's protocol (resume.go): the first
	// Write sends the Hello, and a resumable peer's messages are numbered.
	// rev is its revision (1 or 2).
	marked bool
	rev    uint8
	// marks: every message after the Hello starts with its mark
	// (revision 2 and Session.Marks); set with the Hello, by the writer
	// goroutine, which alone reads it.
	marks   bool
	greeted bool // the Hello was written (writer goroutine only)
	// numbered: the client's messages are numbered (a resumable peer)
	numbered bool
	lazyRead bool // bc reads through lazy (set by batchWriter.Hijack)
}

var _ anyws.Conn = (*peerConn)(nil)

// serve attaches conn to a new or resumed peer and starts its reader.
// rev: the revision of anyws's protocol the client speaks (resume.go), 0
// for none. c was made before the handshake (its onPong is
// coder/websocket's OnPongReceived).
func (h *Handler) serve(hs *anyws.Handshake, c *peerConn, conn *ws.Conn, idle *idleWait, rev int) {
	conn.SetReadLimit(h.opts.ReadLimit)
	bc := &c.bc
	// bc's Close takes the connection out of the poller (c.idle).
	c.conn, c.marked, c.rev, c.idle = conn, rev > 0, uint8(rev), idle
	o := &anyws.AttachOptions{KeepAlive: h.opts.PingInterval}
	if c.marked {
		if err := readClientHello(conn, rev, o); err != nil {
			if errors.Is(err, errHello) {
				bc.finish(conn.Close(ws.StatusPolicyViolation, "anyws: expected the client's hello") == nil)
			} else {
				_ = conn.CloseNow()
				bc.finish(false)
			}
			return
		}
	}
	if _, err := h.hub.Attach(hs, c, o); err != nil {
		code, reason := ws.StatusGoingAway, "server shutting down"
		if errors.Is(err, anyws.ErrClaimAgain) {
			// Before the Hello: anyws's clients reconnect and claim again.
			code, reason = ws.StatusTryAgainLater, "anyws: the peer could not be taken over now: claim it again"
		}
		err := conn.Close(code, reason)
		bc.finish(err == nil)
		return
	}
	// c.s was set by Bind
	c.numbered = c.marked && c.s.Resumable()
	if c.numbered {
		c.inSeq = c.s.Received()
	}
	go c.read()
}

// Bind is called by the core before its first call (the Hello needs
// the Session).
func (c *peerConn) Bind(s *anyws.Session) { c.s = s }

// Write writes a batch under one deadline, as one write system call (see
// batchConn). Each message's frame is appended to the batch directly
// (frames_direct.go), unless coder/websocket is to compress it.
func (c *peerConn) Write(b anyws.Batch) error {
	hello := c.marked && !c.greeted
	if len(b.Payloads) == 0 && !hello {
		return nil
	}
	c.bc.begin()
	if hello {
		c.greeted = true
		c.marks = c.rev >= 2 && c.s.Marks()
		if err := c.message(false, false, "", appendHello(nil, c.s, b.Seq, c.marks)); err != nil {
			c.bc.discard()
			return err
		}
	}
	for _, f := range b.Payloads {
		m := f.Message()
		if err := c.message(m.IsBinary(), c.marks, f.Mark(), m.Bytes()); err != nil {
			c.bc.discard()
			if _, _, ok := c.bc.closeSent(); ok {
				// A close frame went out (the reply to the client's
				// close, a protocol error's): nothing can follow it, and
				// the reader reports how the connection ended.
				return nil
			}
			return err
		}
	}
	return c.bc.flush()
}

// message adds one message to the open batch: its frame directly, or
// through coder/websocket when it compresses it. marked: p is preceded,
// in the same message, by mark and a newline (revision 2).
//
// The payload p is shared by every peer the message was published to,
// so it is never changed: a marked frame is its header, the mark, "\n"
// and p, appended one after the other to the batch (no copy of p beyond
// the batch's own). Only a message coder/websocket compresses is built
// whole first (it takes one slice; compressing reads it all anyway).
func (c *peerConn) message(binaryMsg, marked bool, mark string, p []byte) error {
	n := len(p)
	if marked {
		n += len(mark) + 1
	}
	if !c.bc.deflate || n < compressionThreshold {
		return c.bc.appendMessage(binaryMsg, marked, mark, p)
	}
	typ := ws.MessageText
	if binaryMsg {
		typ = ws.MessageBinary
	}
	if marked {
		whole := make([]byte, 0, n)
		whole = append(append(append(whole, mark...), '\n'), p...)
		p = whole
	}
	// coder/websocket's Write only appends to the open batch here; its
	// context bounds the wait for its write lock (a ping or a close).
	ctx, cancel := context.WithTimeout(context.Background(), c.h.opts.WriteTimeout)
	defer cancel()
	return c.conn.Write(ctx, typ, p)
}

// WriteClose does the close handshake; the reader sees its end.
func (c *peerConn) WriteClose(code anyws.StatusCode, reason string) error {
	c.idle.stop() // Close reads the client's close (idlewait.go)
	return c.conn.Close(ws.StatusCode(code), reason)
}

// KeepAlive pings without waiting for the pong: a pong later than
// PingTimeout aborts the connection, and the reader reports the drop
// (keepalive.go).
func (c *peerConn) KeepAlive() error { return c.keepAlive() }

// Abort closes the connection at once.
func (c *peerConn) Abort() { _ = c.conn.CloseNow() }

// read is the reader goroutine: it delivers messages in order until the
// connection ends, which it reports last. Where the connection can park
// while idle (idlepark_linux.go), the goroutine returns once nothing
// received waits to be read, and a new one runs read when bytes arrive or
// the connection closes: one reader runs at a time, in order.
func (c *peerConn) read() { c.readFrom(false) }

// resumeRead is the reader after its connection was woken in the poller
// (idlepark_linux.go): bytes or the end arrived, so it reads first.
func (c *peerConn) resumeRead() { c.readFrom(true) }

func (c *peerConn) readFrom(woken bool) {
	info, dropped, parked := c.readLoop(woken)
	if parked {
		return // the connection is not ours any more: touch nothing
	}
	_ = c.conn.CloseNow()
	c.stopPings()
	if code, reason, ok := c.bc.closeSent(); ok && dropped {
		// coder/websocket closed on a protocol error with a close frame
		// (1002, 1007, 1009): report what went out.
		info = anyws.CloseInfo{Code: anyws.StatusCode(code), Reason: reason, Err: info.Err}
		dropped = false
	}
	if errp := c.lateErr.Load(); errp != nil && dropped {
		info = anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "ping timeout", Err: *errp}
	}
	if dropped {
		c.s.Dropped(info)
	} else {
		c.s.Closed(info)
	}
	// After a close handshake, wait for the client's FIN before closing
	// the socket (see batchConn), once the peer has finished.
	c.bc.finish(!dropped)
}

// readLoop reads until the connection ends and says how: closed on
// purpose (a close frame, a protocol violation) or dropped; or until
// the connection parked (parked true).
// woken: the poller woke the connection; read before parking again.
func (c *peerConn) readLoop(woken bool) (info anyws.CloseInfo, dropped, parked bool) {
	for ; ; woken = false {
		// Park between messages (idlepark_linux.go), or wait with a
		// shallow stack (idlewait.go); read each message into a buffer
		// of its size (read.go).
		// Pings (and pongs) are answered here, with a shallow stack.
		// Once some were consumed the reader may park again at once.
		if c.idle.answerPings(c.bc.writePong) {
			woken = false
		}
		if !woken && c.idle.park() {
			return anyws.CloseInfo{}, false, true
		}
		typ, data, err := readMessage(context.Background(), c.conn)
		if err != nil {
			info, dropped = readErrorInfo(err)
			return info, dropped, false
		}
		if typ == ws.MessageText && !utf8.Valid(data) {
			const reason = "invalid UTF-8 in text message"
			_ = c.conn.Close(ws.StatusInvalidFramePayloadData, reason)
			return anyws.CloseInfo{Code: anyws.StatusInvalidPayload, Reason: reason}, false, false
		}
		var seq uint64
		if c.numbered {
			c.inSeq++
			seq = c.inSeq
		}
		if err := c.s.Deliver(anyws.NewMessage(data, typ == ws.MessageBinary), seq); err != nil {
			return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err}, false, false
		}
	}
}

func readErrorInfo(err error) (anyws.CloseInfo, bool) {
	var ce ws.CloseError
	switch {
	case errors.As(err, &ce):
		return anyws.CloseInfo{Code: anyws.StatusCode(ce.Code), Reason: ce.Reason}, false
	case errors.Is(err, ws.ErrMessageTooBig):
		return anyws.CloseInfo{Code: anyws.StatusMessageTooBig, Reason: "message too big", Err: err}, false
	default:
		return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err}, true
	}
}
