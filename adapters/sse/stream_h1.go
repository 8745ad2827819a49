package sse

import (
	"bufio"
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/connwrite"
	"github.com/anyws/anyws/internal/peerrun"
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
// the reader and the Notify callback own it. set holds the headers
// middleware set before the handler ran (CORS, cookies, request ids):
// they are sent as net/http would have sent them.
func (h *Handler) serveH1(conn net.Conn, u *anyws.Upgrade, r *http.Request, set http.Header) {
	var token string
	var e *entry
	if h.opts.Bidirectional {
		token, e = h.tokens.add()
	}
	hdr := set.Clone()
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
	c.run.Flush = c.flush
	c.run.Finish = c.finish
	go c.read()
	if ka := h.opts.KeepAlive; ka > 0 {
		c.run.Arm(ka, c.keepAliveDue)
	}
	s.Notify(c.run.Notify) // starts the writer for the first batch
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

// h1Stream is one peer's hijacked HTTP/1.1 stream. internal/peerrun
// coordinates its reader, its on-demand writer and its keep-alive timer.
type h1Stream struct {
	h     *Handler
	conn  net.Conn
	s     *anyws.Session
	token string
	wb    writeBuf
	first bool // the next batch is the first: retry and token go with it (writer only)
	run   peerrun.Runner
	due   atomic.Bool // the keep-alive timer fired since the last write
}

// keepAliveDue runs on the keep-alive timer's goroutine.
func (c *h1Stream) keepAliveDue() {
	c.due.Store(true)
	c.run.Notify()
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
		c.run.End(anyws.CloseInfo{Code: code, Reason: reason})
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
	if len(buf) == chunkHeadRoom {
		if !c.due.Load() {
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
			c.run.End(anyws.CloseInfo{Code: code, Reason: reason, Err: err})
		} else if c.run.End(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}) {
			s.ReportError(err)
		}
		_ = c.conn.Close()
		return false
	}
	if len(batch) > 0 {
		s.Written(batch)
	}
	c.due.Store(false) // any write resets the keep-alive
	if ka := c.h.opts.KeepAlive; ka > 0 {
		c.run.Arm(ka, c.keepAliveDue)
	}
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
func (c *h1Stream) buffer() []byte { return c.wb.get("0000000000"[:chunkHeadRoom]) }

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
func (c *h1Stream) release(buf []byte) { c.wb.put(buf) }

// read is the reader goroutine: it waits for the client to leave, which
// ends the peer. SSE has no close handshake, so that is the normal way
// for a client to leave: 1001, like a browser tab closing.
func (c *h1Stream) read() {
	br := bufio.NewReaderSize(c.conn, 16) // bufio's minimum; only to discard
	_, err := br.Discard(math.MaxInt)
	c.run.End(anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away", Err: err})
	// Unblock a writer stuck on a client that is gone.
	_ = c.conn.Close()
	c.run.ReaderDone()
}

// finish kills the token (before Close runs) and finishes the peer.
func (c *h1Stream) finish(info anyws.CloseInfo) {
	if c.token != "" {
		c.h.tokens.remove(c.token)
	}
	c.s.Finish(info)
}
