package websocket

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/peerrun"
	ws "github.com/coder/websocket"
)

// peerConn is one peer's connection after the handshake. An idle peer
// costs one goroutine, the reader (coder/websocket needs one to answer
// pings and see the close): the request's goroutine returns after the
// hijack, a writer goroutine runs only while there is something to write
// or a close to do, and pings come from a timer. internal/peerrun
// coordinates them and calls Session.Finish once, after the reader has
// exited, so no Message hook runs after Close.
type peerConn struct {
	h    *Handler
	conn *ws.Conn
	bc   *batchConn
	s    *anyws.Session
	run  peerrun.Runner
}

// serve starts serving conn for s and returns: the reader goroutine and
// the Notify callback take it from here.
func (h *Handler) serve(conn *ws.Conn, bc *batchConn, s *anyws.Session) {
	conn.SetReadLimit(h.opts.ReadLimit)
	c := &peerConn{h: h, conn: conn, bc: bc, s: s}
	c.run.Flush = c.flush
	c.run.Finish = s.Finish
	go c.read()
	if h.opts.PingInterval > 0 {
		c.run.Arm(h.opts.PingInterval, c.pingNow)
	}
	s.Notify(c.run.Notify)
}

// flush writes what is queued, or does the close the server asked for.
// It reports false when the connection is done for.
func (c *peerConn) flush() bool {
	s := c.s
	if s.CloseRequested() {
		code, reason, abrupt, discard := s.CloseRequest()
		c.run.End(anyws.CloseInfo{Code: code, Reason: reason})
		if !discard {
			_ = c.writeBatch()
		}
		if !abrupt {
			_ = c.conn.Close(ws.StatusCode(code), reason)
		}
		_ = c.conn.CloseNow()
		return false
	}
	err := c.writeBatch()
	if err == nil {
		return true
	}
	if s.CloseRequested() {
		// The write was aborted by a close that drops the queue.
		code, reason, _, _ := s.CloseRequest()
		c.run.End(anyws.CloseInfo{Code: code, Reason: reason, Err: err})
	} else if c.run.End(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}) {
		s.ReportError(err)
	}
	_ = c.conn.CloseNow()
	_ = s.Peer().CloseNow() // cancels the peer's context (see pingNow)
	return false
}

// writeBatch writes everything queued under one deadline, as one write
// system call (see batchConn).
func (c *peerConn) writeBatch() error {
	s := c.s
	batch := s.Take()
	if len(batch) == 0 {
		return nil
	}
	timeout := c.h.opts.WriteTimeout
	ctx, cancel := context.WithTimeout(s.WriteContext(), timeout)
	defer cancel()
	c.bc.begin()
	for _, f := range batch {
		m := f.Message()
		typ := ws.MessageText
		if m.IsBinary() {
			typ = ws.MessageBinary
		}
		if err := c.conn.Write(ctx, typ, m.Bytes()); err != nil {
			c.bc.discard()
			return err
		}
	}
	if err := c.bc.flush(ctx, timeout); err != nil {
		return err
	}
	s.Written(batch)
	return nil
}

// pingNow runs on the ping timer's goroutine: a connection that does not
// answer within PingTimeout is closed.
func (c *peerConn) pingNow() {
	if !c.run.Enter() {
		return
	}
	defer c.run.Leave()
	ctx, cancel := context.WithTimeout(context.Background(), c.h.opts.PingTimeout)
	err := c.conn.Ping(ctx)
	timedOut := ctx.Err() != nil
	cancel()
	switch {
	case err == nil:
		c.run.Arm(c.h.opts.PingInterval, c.pingNow)
	case timedOut:
		c.run.End(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "ping timeout", Err: err})
		_ = c.conn.CloseNow()
		// The reader may be inside a Message hook waiting on the peer's
		// context: cancel it so the peer can finish.
		_ = c.s.Peer().CloseNow()
	}
	// Any other error means the connection is closing; the reader says how.
}

// read is the reader goroutine: it delivers messages in order until the
// connection ends, which ends the peer.
func (c *peerConn) read() {
	c.run.End(c.readLoop())
	// Unblock a writer stuck on a client that is gone.
	_ = c.conn.CloseNow()
	c.run.ReaderDone()
}

func (c *peerConn) readLoop() anyws.CloseInfo {
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			return readErrorInfo(err)
		}
		if typ == ws.MessageText && !utf8.Valid(data) {
			const reason = "invalid UTF-8 in text message"
			_ = c.conn.Close(ws.StatusInvalidFramePayloadData, reason)
			return anyws.CloseInfo{Code: anyws.StatusInvalidPayload, Reason: reason}
		}
		if err := c.s.Deliver(anyws.NewMessage(data, typ == ws.MessageBinary)); err != nil {
			return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err}
		}
	}
}

func readErrorInfo(err error) anyws.CloseInfo {
	var ce ws.CloseError
	switch {
	case errors.As(err, &ce):
		return anyws.CloseInfo{Code: anyws.StatusCode(ce.Code), Reason: ce.Reason}
	case errors.Is(err, ws.ErrMessageTooBig):
		return anyws.CloseInfo{Code: anyws.StatusMessageTooBig, Reason: "message too big", Err: err}
	default:
		return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err}
	}
}
