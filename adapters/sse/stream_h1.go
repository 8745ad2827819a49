package sse

import (
	"bufio"
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/connwrite"
	"github.com/anyws/anyws/internal/sse"
)

// An HTTP/1.1 stream is taken over from net/http once the Upgrade hook
// accepted it, as the WebSocket adapter does after its handshake: the
// request's goroutine returns, which frees net/http's per-connection
// state (its handler and background-reader stacks, 4 KiB read and write
// buffers, the chunking buffer), and an idle stream costs one goroutine,
// a reader that sees the client leave. A writer goroutine runs only while
// there is something to write (started by the Session's Notify callback),
// keep-alives come from a timer, and whichever of reader and writer ends
// last calls Session.Finish.
//
// The response is written by hand with the headers net/http would send
// plus Transfer-Encoding: chunked and Connection: close. Chunked framing
// keeps a server's close (a last chunk, then the connection closes) apart
// from a connection that dropped (no last chunk: clients report an
// unexpected EOF), as with net/http. Connection: close is the truth: the
// connection cannot serve another request once the stream ends, so a
// client must not put it back in its pool. Browsers' EventSource, Node's
// eventsource and crossws's client, and Go's http.Client all read both.
//
// A client sends nothing after its GET; bytes that arrive anyway
// (including what net/http had read ahead of the hijack) are read and
// ignored, so a stray CRLF after the request does not end the stream.

// chunkHeadRoom is the room kept at the front of a buffer for its chunk
// header: up to 8 hex digits and CRLF, so a batch is framed without a
// copy.
const chunkHeadRoom = 10

// closeLinger bounds how long a stream the server ended waits for the
// client to close its side of the connection (see closeWrite).
const closeLinger = time.Second

// lastChunk ends a chunked response.
const lastChunk = "0\r\n\r\n"

// hijack takes the connection of an HTTP/1.1 request over from net/http,
// or reports false when w cannot be hijacked (a middleware's writer
// without Unwrap, say), and the stream is then served through w.
func hijack(w http.ResponseWriter) (net.Conn, bool) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	// Anything net/http read ahead is ignored (see above); dropping brw
	// frees its buffers.
	_ = brw
	// net/http's ReadTimeout and WriteTimeout deadlines stay on a
	// hijacked connection: a stream has its own, per write.
	_ = conn.SetDeadline(time.Time{})
	return conn, true
}

// serveH1 serves one peer on conn, taken over from r, and returns once
// the reader and the Notify callback own it.
func (h *Handler) serveH1(conn net.Conn, u *anyws.Upgrade, r *http.Request) {
	var token string
	var e *entry
	if h.opts.Bidirectional {
		token, e = h.tokens.add()
	}
	hdr := make(http.Header, 8)
	writeHeaders(hdr, u.Header, r, token)
	hdr.Set("Connection", "close")
	hdr.Set("Transfer-Encoding", "chunked")
	hdr.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	head := []byte("HTTP/1.1 200 OK\r\n")
	head = appendHeader(head, hdr)
	if err := connwrite.Write(context.Background(), conn, h.opts.WriteTimeout, head); err != nil {
		if e != nil {
			h.tokens.remove(token)
			close(e.ready)
		}
		_ = conn.Close()
		return // the client is gone: no peer is made
	}
	s, err := h.hub.Connect(u)
	if e != nil {
		e.s = s
		close(e.ready)
	}
	if err != nil {
		// The Hub shut down between Upgrade and Connect: say so the way
		// any close is said.
		if e != nil {
			h.tokens.remove(token)
		}
		c := &h1Stream{h: h, conn: conn}
		buf := appendClose(c.buffer(), anyws.StatusGoingAway, "server shutting down")
		_ = c.write(context.Background(), buf, true)
		_ = conn.Close()
		return
	}
	c := &h1Stream{h: h, conn: conn, s: s, token: token, first: true}
	go c.read()
	c.mu.Lock()
	if ka := h.opts.KeepAlive; ka > 0 && !c.readDone {
		c.keepAlive = time.AfterFunc(ka, c.keepAliveDue)
	}
	c.mu.Unlock()
	s.Notify(c.notify) // starts the writer for the first batch
}

// appendHeader appends hdr and the blank line that ends the head.
func appendHeader(dst []byte, hdr http.Header) []byte {
	for k, vs := range hdr {
		for _, v := range vs {
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	return append(dst, "\r\n"...)
}

// h1Stream is one peer's hijacked HTTP/1.1 stream.
type h1Stream struct {
	h     *Handler
	conn  net.Conn
	s     *anyws.Session
	token string
	bp    *[]byte // the buffer from streamBufs being filled, until write
	first bool    // the next batch is the first: retry and token go with it (writer only)

	mu        sync.Mutex
	keepAlive *time.Timer // nil when keep-alives are off
	due       bool        // the keep-alive timer fired since the last write
	writing   bool        // a writer goroutine runs
	again     bool        // notified while writing: look again before leaving
	quit      bool        // the writer closed the connection: write no more
	readDone  bool        // the reader has exited: start nothing more
	finished  bool        // Finish is called (by the last goroutine out)
	ended     bool        // info says how the peer ended
	info      anyws.CloseInfo
}

// notify is the Session's callback: it starts the writer unless one runs
// (which then looks again) or the stream is over. It never blocks.
func (c *h1Stream) notify() {
	c.mu.Lock()
	switch {
	case c.readDone || c.quit:
	case c.writing:
		c.again = true
	default:
		c.writing = true
		c.mu.Unlock()
		go c.writeLoop()
		return
	}
	c.mu.Unlock()
}

// keepAliveDue runs on the keep-alive timer's goroutine.
func (c *h1Stream) keepAliveDue() {
	c.mu.Lock()
	c.due = true
	c.mu.Unlock()
	c.notify()
}

// writeLoop is the writer goroutine: it writes until there is nothing
// left and no notification came in meanwhile, then exits.
func (c *h1Stream) writeLoop() {
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
			if c.keepAlive != nil {
				c.keepAlive.Stop()
			}
		}
		last := c.lastOut()
		c.mu.Unlock()
		if last {
			c.finish()
		}
		return
	}
}

// flush writes what is queued (with the retry block and the token before
// the first batch), a keep-alive when one is due, or the close the
// server asked for. It reports false when the stream is done for.
func (c *h1Stream) flush() bool {
	s := c.s
	buf := c.buffer()
	first := c.first
	c.first = false
	if first && c.h.opts.Retry > 0 {
		buf = sse.AppendRetry(buf, c.h.opts.Retry)
	}
	closing := s.CloseRequested()
	var code anyws.StatusCode
	var reason string
	var abrupt, discard bool
	if closing {
		code, reason, abrupt, discard = s.CloseRequest()
	}
	var batch []*anyws.Frame
	if !discard {
		batch = s.Take()
		buf = appendFrames(buf, batch)
	}
	// What Open sent comes first, then the token: crossws's demo sends
	// its welcome message before the client may talk.
	if first && c.token != "" {
		buf = appendToken(buf, c.token)
	}
	if closing {
		c.end(anyws.CloseInfo{Code: code, Reason: reason})
		if !abrupt {
			buf = appendClose(buf, code, reason)
		}
		// Not aborted by the write context: a close that drops the queue
		// still ends the response cleanly, within WriteTimeout.
		if c.write(context.Background(), buf, true) != nil || !c.closeWrite() {
			_ = c.conn.Close()
		}
		return false
	}
	c.mu.Lock()
	due := c.due
	c.mu.Unlock()
	if len(buf) == chunkHeadRoom {
		if !due {
			c.release(buf)
			return true // a signal with nothing left to do
		}
		buf = sse.AppendComment(buf, "keep-alive")
	}
	err := c.write(s.WriteContext(), buf, false)
	if err != nil {
		if s.CloseRequested() {
			// The write was aborted by a close that drops the queue, or
			// failed behind a stalled client the server was closing.
			code, reason, _, _ := s.CloseRequest()
			c.end(anyws.CloseInfo{Code: code, Reason: reason, Err: err})
		} else if c.end(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}) {
			s.ReportError(err)
		}
		_ = c.conn.Close()
		return false
	}
	if len(batch) > 0 {
		s.Written(batch)
	}
	c.mu.Lock()
	c.due = false // any write resets the keep-alive
	if c.keepAlive != nil && !c.readDone {
		c.keepAlive.Reset(c.h.opts.KeepAlive)
	}
	c.mu.Unlock()
	return true
}

// closeWrite ends the stream after the last chunk as net/http ends a
// connection it closes: it sends FIN and leaves the reader to read until
// the client closes its side (its cue is Connection: close) or
// closeLinger passes, then close. Closing at once could reset a
// connection with unread bytes from the client, and a reset can make the
// client lose the end of the stream. It reports false when conn cannot
// half-close.
func (c *h1Stream) closeWrite() bool {
	cw, ok := c.conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return false
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(closeLinger))
	return true
}

// buffer returns an empty buffer from streamBufs with room for a chunk
// header; write gives it back.
func (c *h1Stream) buffer() []byte {
	if c.bp == nil {
		c.bp = streamBufs.Get().(*[]byte)
	}
	return append((*c.bp)[:0], "0000000000"[:chunkHeadRoom]...)
}

// write frames buf (from buffer) as one chunk, with the last chunk after
// it when final, and sends it with one write under Options.WriteTimeout;
// cancelling ctx aborts a write blocked on a client that stopped reading.
func (c *h1Stream) write(ctx context.Context, buf []byte, final bool) error {
	defer c.release(buf)
	start := chunkHeadRoom
	if n := len(buf) - chunkHeadRoom; n > 0 {
		var hex [8]byte
		h := strconv.AppendUint(hex[:0], uint64(n), 16)
		start = chunkHeadRoom - len(h) - 2
		copy(buf[start:], h)
		buf[chunkHeadRoom-2], buf[chunkHeadRoom-1] = '\r', '\n'
		buf = append(buf, "\r\n"...)
	}
	if final {
		buf = append(buf, lastChunk...)
	}
	return connwrite.Write(ctx, c.conn, c.h.opts.WriteTimeout, buf[start:])
}

// release gives buf (grown from buffer) back to streamBufs.
func (c *h1Stream) release(buf []byte) {
	bp := c.bp
	c.bp = nil
	if bp == nil {
		bp = new([]byte)
	}
	if cap(buf) <= maxKeptBuffer {
		*bp = buf[:0]
		streamBufs.Put(bp)
	}
}

// read is the reader goroutine: it waits for the client to leave, which
// ends the peer. SSE has no close handshake, so that is the normal way
// for a client to leave: 1001, like a browser tab closing.
func (c *h1Stream) read() {
	br := bufio.NewReaderSize(c.conn, 16) // bufio's minimum; only to discard
	_, err := br.Discard(math.MaxInt)
	c.end(anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away", Err: err})
	// Unblock a writer stuck on a client that is gone.
	_ = c.conn.Close()
	c.mu.Lock()
	c.readDone = true
	if c.keepAlive != nil {
		c.keepAlive.Stop()
	}
	last := c.lastOut()
	c.mu.Unlock()
	if last {
		c.finish()
	}
}

// end records how the peer ended, unless that is already known: the
// first of the reader and the writer to see the end says why. It reports
// whether info was recorded.
func (c *h1Stream) end(info anyws.CloseInfo) bool {
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
func (c *h1Stream) lastOut() bool {
	if !c.readDone || c.writing || c.finished {
		return false
	}
	c.finished = true
	return true
}

// finish kills the token (before Close runs) and finishes the peer.
func (c *h1Stream) finish() {
	if c.token != "" {
		c.h.tokens.remove(c.token)
	}
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	c.s.Finish(info)
}
