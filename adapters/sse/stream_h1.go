package sse

import (
	"bufio"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
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
// its reader and the core own it. set holds the headers middleware set
// before the handler ran (CORS, cookies, request ids): they are sent as
// net/http would have sent them.
func (h *Handler) serveH1(conn net.Conn, u *anyws.Handshake, r *http.Request, set http.Header) {
	c := &h1Stream{events: events{h: h, hdr: u.Header, r: r}, conn: conn, set: set.Clone()}
	s, err := h.hub.Attach(u, c, h.attachOptions(r))
	if errors.Is(err, anyws.ErrClaimAgain) {
		// An empty stream that ends without a close (stream.go), with
		// the middleware's headers (CORS) as every stream has them.
		hdr := c.set
		if hdr == nil {
			hdr = make(http.Header)
		}
		claimAgainHeaders(hdr)
		hdr.Set("Connection", "close")
		_ = conn.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		_, _ = conn.Write(appendHeader([]byte("HTTP/1.1 200 OK\r\n"), hdr))
		_ = conn.Close()
		return
	}
	if err != nil {
		// The Hub shut down between Accept and Attach: say so the way any
		// close is said.
		_ = c.WriteClose(anyws.StatusGoingAway, "server shutting down")
		_ = conn.Close()
		return
	}
	go c.read(s)
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

// h1Stream is one peer's hijacked HTTP/1.1 stream: the anyws.Conn the
// core writes through, and a reader that sees the client leave.
type h1Stream struct {
	events
	conn net.Conn
	dl   connwrite.Deadline // the core's writer is the only one to write
	set  http.Header        // middleware's headers, sent first
}

var _ anyws.Conn = (*h1Stream)(nil)

// Write sends the batch as one chunk (after the response head, the first
// time).
func (c *h1Stream) Write(b anyws.Batch) error {
	var head []byte
	if !c.started {
		head = c.head()
	}
	return c.write(head, c.append(c.buffer(), b), false)
}

// WriteClose sends the close event and the last chunk, and half-closes
// the connection (see closeWrite).
func (c *h1Stream) WriteClose(code anyws.StatusCode, reason string) error {
	var head []byte
	if !c.started {
		c.started = true
		head = c.head()
	}
	if err := c.write(head, appendClose(c.buffer(), code, reason), true); err != nil {
		return err
	}
	if !c.closeWrite() {
		_ = c.conn.Close()
	}
	return nil
}

// KeepAlive sends a comment line.
func (c *h1Stream) KeepAlive() error {
	return c.write(nil, sse.AppendComment(c.buffer(), "keep-alive"), false)
}

// Abort closes the connection.
func (c *h1Stream) Abort() { _ = c.conn.Close() }

// head is the response head net/http would write, plus chunked framing
// and Connection: close.
func (c *h1Stream) head() []byte {
	hdr := c.set
	c.headers(hdr)
	hdr.Set("Connection", "close")
	hdr.Set("Transfer-Encoding", "chunked")
	hdr.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	c.set = nil // written once: an idle stream need not keep the map
	return appendHeader([]byte("HTTP/1.1 200 OK\r\n"), hdr)
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

// write frames buf (from buffer) as one chunk, after head if any and
// with the last chunk after it when final, and sends it with one write
// under Options.WriteTimeout.
func (c *h1Stream) write(head, buf []byte, final bool) error {
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
	out := buf[start:]
	if head != nil {
		out = append(head, out...)
	}
	_, err := c.dl.Write(c.conn, c.h.opts.WriteTimeout, out)
	return clientLeft(err)
}

// release gives buf (grown from buffer) back to streamBufs.
func (c *h1Stream) release(buf []byte) { c.wb.put(buf) }

// read is the reader goroutine: it waits for the client to leave, which
// ends the connection. SSE has no close handshake, so that is the normal
// way for a client to leave: 1001, like a browser tab closing.
func (c *h1Stream) read(s *anyws.Session) {
	br := bufio.NewReaderSize(c.conn, 16) // bufio's minimum; only to discard
	_, err := br.Discard(math.MaxInt)
	// Unblock a writer stuck on a client that is gone.
	_ = c.conn.Close()
	s.Dropped(anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away", Err: err})
}
