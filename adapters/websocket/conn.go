package websocket

import (
	"context"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws"
	ws "github.com/coder/websocket"
)

// peerConn is one peer's connection after the handshake. An idle peer
// costs one goroutine, the reader (coder/websocket needs one to answer
// pings and see the close): the request's goroutine returns after the
// hijack, a writer goroutine runs only while there is something to write
// or a close to do (started by the Session's Notify callback), and pings
// come from a timer. Whichever of these ends last calls Session.Finish,
// always after the reader has exited, so no Message hook runs after
// Close.
type peerConn struct {
	h    *Handler
	conn *ws.Conn
	bc   *batchConn
	s    *anyws.Session

	mu       sync.Mutex
	ping     *time.Timer // the next ping, nil when pings are off
	writing  bool        // a writer goroutine runs
	again    bool        // notified while writing: look again before leaving
	pinging  bool        // a ping waits for its pong
	quit     bool        // the writer closed the connection: write no more
	readDone bool        // the reader has exited: start nothing more
	finished bool        // Finish is called (by the last goroutine out)
	ended    bool        // info says how the peer ended
	info     anyws.CloseInfo
}

// serve starts serving conn for s and returns: the reader goroutine and
// the Notify callback take it from here.
func (h *Handler) serve(conn *ws.Conn, bc *batchConn, s *anyws.Session) {
	conn.SetReadLimit(h.opts.ReadLimit)
	c := &peerConn{h: h, conn: conn, bc: bc, s: s}
	go c.read()
	c.mu.Lock()
	if h.opts.PingInterval > 0 && !c.readDone {
		c.ping = time.AfterFunc(h.opts.PingInterval, c.pingNow)
	}
	c.mu.Unlock()
	s.Notify(c.notify)
}

// notify is the Session's callback: it starts the writer unless one runs
// (which then looks again) or the connection is over. It never blocks.
func (c *peerConn) notify() {
	c.mu.Lock()
	switch {
	case c.readDone || c.quit:
	case c.writing:
		c.again = true
	default:
		c.writing = true
		c.mu.Unlock()
		go c.write()
		return
	}
	c.mu.Unlock()
}

// write is the writer goroutine: it writes until the queue is empty and
// no notification came in meanwhile, then exits.
func (c *peerConn) write() {
	for {
		c.mu.Lock()
		c.again = false
		c.mu.Unlock()
		ok := c.flush()
		c.mu.Lock()
		if ok && c.again && !c.readDone {
			c.mu.Unlock()
			continue
		}
		c.writing = false
		if !ok {
			c.quit = true
		}
		last := c.lastOut()
		c.mu.Unlock()
		if last {
			c.finish()
		}
		return
	}
}

// flush writes what is queued, or does the close the server asked for.
// It reports false when the connection is done for.
func (c *peerConn) flush() bool {
	s := c.s
	if s.CloseRequested() {
		code, reason, abrupt, discard := s.CloseRequest()
		c.end(anyws.CloseInfo{Code: code, Reason: reason})
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
		c.end(anyws.CloseInfo{Code: code, Reason: reason, Err: err})
	} else if c.end(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}) {
		s.ReportError(err)
	}
	_ = c.conn.CloseNow()
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
	c.mu.Lock()
	if c.readDone || c.quit {
		c.mu.Unlock()
		return
	}
	c.pinging = true
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.h.opts.PingTimeout)
	err := c.conn.Ping(ctx)
	timedOut := ctx.Err() != nil
	cancel()
	if err != nil && timedOut {
		c.end(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "ping timeout", Err: err})
		_ = c.conn.CloseNow()
	}
	// Any other error means the connection is closing; the reader says how.
	c.mu.Lock()
	c.pinging = false
	if err == nil && !c.readDone && !c.quit {
		c.ping.Reset(c.h.opts.PingInterval)
	}
	last := c.lastOut()
	c.mu.Unlock()
	if last {
		c.finish()
	}
}

// read is the reader goroutine: it delivers messages in order until the
// connection ends, which ends the peer.
func (c *peerConn) read() {
	c.end(c.readLoop())
	// Unblock a writer stuck on a client that is gone.
	_ = c.conn.CloseNow()
	c.mu.Lock()
	c.readDone = true
	if c.ping != nil {
		c.ping.Stop()
	}
	last := c.lastOut()
	c.mu.Unlock()
	if last {
		c.finish()
	}
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

// end records how the peer ended, unless that is already known: the
// first of the reader, the writer and the pinger to see the end says
// why. It reports whether info was recorded.
func (c *peerConn) end(info anyws.CloseInfo) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	c.ended, c.info = true, info
	return true
}

// lastOut reports, under c.mu, whether the calling goroutine is the last
// one out and must call finish; it says so once.
func (c *peerConn) lastOut() bool {
	if !c.readDone || c.writing || c.pinging || c.finished {
		return false
	}
	c.finished = true
	return true
}

func (c *peerConn) finish() {
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	c.s.Finish(info)
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
