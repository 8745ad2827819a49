package sse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// maxKeptBuffer is the largest write buffer returned to streamBufs; a
// bigger one (after a burst) is dropped for the GC.
const maxKeptBuffer = 256 << 10

// streamBufs holds write buffers between batches, shared by all streams:
// an idle stream holds none, so 10,000 quiet subscribers cost no buffer
// memory, and a busy one reuses what another has just written.
var streamBufs = sync.Pool{New: func() any { return new([]byte) }}

// serveStream serves one peer. An HTTP/1.1 stream is taken over from
// net/http (stream_h1.go); any other (HTTP/2) is served through the
// ResponseWriter, and the request's goroutine waits until the stream
// ends: the core writes through it from its writer goroutine.
func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(w, r) {
		return
	}
	u, err := h.hub.Accept(r, &h.opts.Hooks, "sse", nil)
	if err != nil {
		writeUpgradeError(w, r, err)
		return
	}
	// HTTP/1.1 streams leave net/http (see stream_h1.go); HTTP/2 streams
	// cannot, and HTTP/1.0 clients do not read chunked responses.
	if r.ProtoMajor == 1 && r.ProtoMinor >= 1 {
		if conn, ok := hijack(w); ok {
			h.serveH1(conn, u, r, w.Header())
			return
		}
	}
	rc := http.NewResponseController(w)
	// A stream outlives any server-wide timeout; each write gets its own
	// deadline instead.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	st := &stream{events: events{h: h, hdr: u.Header, r: r}, w: w, rc: *rc, ended: make(chan struct{})}
	s, err := h.hub.Attach(u, st, h.attachOptions(r))
	if errors.Is(err, anyws.ErrClaimAgain) {
		// An empty stream that ends without a close: every client
		// (EventSource too) reconnects and claims again.
		claimAgainHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		_ = rc.Flush()
		return
	}
	if err != nil {
		// The Hub shut down between Accept and Attach: say so the way any
		// close is said.
		_ = st.WriteClose(anyws.StatusGoingAway, "server shutting down")
		return
	}
	select {
	case <-r.Context().Done():
		// The client closed the EventSource or the connection dropped.
		// SSE has no close handshake, so this is the normal way for a
		// client to leave: 1001, like a browser tab closing.
		s.Dropped(anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away", Err: context.Cause(r.Context())})
	case <-st.ended:
		// WriteClose or Abort ended the response; when the server closed,
		// the core already knows why and this info is not used.
		s.Dropped(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "connection ended"})
	}
	st.mu.Lock()
	st.over = true
	st.mu.Unlock()
}

// attachOptions: SSE clients can always resume (browsers' EventSource
// send the last id they got when they reconnect).
func (h *Handler) attachOptions(r *http.Request) *anyws.AttachOptions {
	return &anyws.AttachOptions{
		KeepAlive: h.opts.KeepAlive,
		Resumable: true,
		Resume:    r.Header.Get(sse.LastEventIDHeader),
		Marks:     claimedMarks(r),
		Sent:      claimedSent(r),
	}
}

// claimedSent is the client's last numbered uplink message, when it
// says (sse.SentHeader).
func claimedSent(r *http.Request) uint64 {
	n, _ := strconv.ParseUint(r.Header.Get(sse.SentHeader), 10, 64)
	return n
}

// claimedMarks returns the marks an anyws client claims with (nil: it
// sent none, as a browser's EventSource; empty: it has none).
func claimedMarks(r *http.Request) []string {
	v, ok := r.Header[http.CanonicalHeaderKey(sse.MarksHeader)]
	if !ok {
		return nil
	}
	out := []string{}
	for _, s := range v {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// writeHeaders sets the stream's response headers: the Upgrade hook's
// first, then the protocol's own, which the hook cannot break.
func writeHeaders(dst, hook http.Header, r *http.Request, token string) {
	for k, v := range hook {
		dst[k] = append(dst[k], v...)
	}
	dst.Set("Content-Type", "text/event-stream")
	if dst.Get("Cache-Control") == "" {
		dst.Set("Cache-Control", "no-cache, no-transform")
	}
	dst.Set("X-Accel-Buffering", "no")
	dst.Del("Content-Length")
	if r.ProtoMajor == 1 {
		dst.Set("Connection", "keep-alive")
	} else {
		dst.Del("Connection") // connection-specific headers are illegal in HTTP/2
	}
	if token != "" {
		dst.Set(TokenHeader, token)
	}
}

// writeUpgradeError answers a request the Upgrade hook refused or the
// Hub could not take.
func writeUpgradeError(w http.ResponseWriter, r *http.Request, err error) {
	var rej *anyws.Rejection
	switch {
	case errors.As(err, &rej):
		rej.ServeHTTP(w, r)
	case errors.Is(err, anyws.ErrHubClosed):
		httpError(w, http.StatusServiceUnavailable, "anyws: server shutting down: reconnect later")
	default:
		httpError(w, http.StatusInternalServerError, "anyws: internal error in the Upgrade hook (reported to the Error hook)")
	}
}

// events builds what a stream writes, whatever carries it: the first
// write's retry field, hello and token events, each message with its id
// when the peer is resumable, and the close event.
type events struct {
	h   *Handler
	hdr http.Header // the Upgrade hook's response headers
	r   *http.Request
	s   *anyws.Session
	wb  writeBuf
	// token is the uplink token (the secret and, with forwarding, the
	// route), "" for one-way streams. Set on the first write.
	token string
	key   string // the claims' key (Session.ResumeKey), set on the first write
	// resumable (Session.Resumable), set with the headers, which come
	// before the first write: it cannot change, and at a low rate asking
	// each time reached three of the core's structs per message, each a
	// likely cache miss.
	resumable bool
	started   bool
	// binaryEvents: the client asked for binary events (binary_events.go).
	binaryEvents bool
	// shortIDs: the client asked for short ids (internal/sse/shortids.go).
	shortIDs bool
	// marks: every topic message's id ends with its mark
	// (Session.Marks, internal/sse/marks.go).
	marks bool
}

// Bind is called by the core before its first call.
func (e *events) Bind(s *anyws.Session) { e.s = s }

// headers returns the response headers of the stream.
func (e *events) headers(dst http.Header) {
	if e.s != nil && e.h.opts.Bidirectional {
		e.token = e.s.Secret() + e.h.tokens.route
	}
	writeHeaders(dst, e.hdr, e.r, e.token)
	e.hdr = nil // sent once: an idle stream need not keep the hook's map
	if e.binaryEvents = wantsBinaryEvents(e.r); e.binaryEvents {
		dst.Set(sse.BinaryEventsHeader, sse.BinaryEvents)
	}
	if e.shortIDs = wantsShortIDs(e.r); e.shortIDs {
		dst.Set(sse.ShortIDsHeader, sse.ShortIDs)
	}
	if e.resumable = e.s != nil && e.s.Resumable(); e.resumable {
		dst.Set(sse.ResumableHeader, sse.Resumable)
		e.marks = e.s.Marks()
	}
}

// append appends the events of one Write to buf.
func (e *events) append(buf []byte, b anyws.Batch) []byte {
	first := !e.started
	e.started = true
	if first {
		e.key = e.s.ResumeKey()
		if e.h.opts.Retry > 0 {
			buf = sse.AppendRetry(buf, e.h.opts.Retry)
		}
		if e.resumable {
			buf = appendHello(buf, e.key, b.Seq-1, e.s.Resume(), e.s.Received(), e.marks)
		}
	}
	resumable := e.resumable
	for i, f := range b.Payloads {
		if resumable {
			buf = e.appendID(buf, b.Seq+uint64(i), f)
		}
		buf = e.appendPayload(buf, f, resumable)
	}
	// What Open sent comes first, then the token: crossws's demo sends
	// its welcome message before the client may talk.
	if first && e.token != "" {
		buf = appendToken(buf, e.token)
	}
	return buf
}

// stream is one SSE response served through net/http (HTTP/2): the
// anyws.Conn the core writes through. An idle stream keeps it: its
// fields are packed.
type stream struct {
	events
	w     http.ResponseWriter
	rc    http.ResponseController
	ended chan struct{} // closed by WriteClose or Abort: the handler returns
	// dl is the write deadline as last set (h2deadline.go), on the
	// monotonic clock since epoch.
	dl      time.Duration
	mu      sync.Mutex
	over    bool // under mu: the handler returned, w is dead
	endDone bool // under mu: ended is closed
}

var _ anyws.Conn = (*stream)(nil)

// Write sends the batch as one write and one flush (after the response
// headers, the first time).
func (st *stream) Write(b anyws.Batch) error {
	if !st.started {
		st.headers(st.w.Header())
		st.w.WriteHeader(http.StatusOK)
	}
	return st.write(st.append(st.wb.get(""), b))
}

// WriteClose sends the close event and ends the response.
func (st *stream) WriteClose(code anyws.StatusCode, reason string) error {
	buf := st.wb.get("")
	if !st.started {
		st.started = true
		st.headers(st.w.Header())
		st.w.WriteHeader(http.StatusOK)
	}
	err := st.write(appendClose(buf, code, reason))
	st.end()
	return err
}

// KeepAlive sends a comment line.
func (st *stream) KeepAlive() error {
	return st.write(sse.AppendComment(st.wb.get(""), "keep-alive"))
}

// Pooled: over HTTP/2 a write hands the bytes to net/http's goroutine
// for the connection, so the peer's writes run on the Hub's writer pool
// rather than a goroutine of its own (anyws.PooledConn). The stream is
// the HTTP/2 path: HTTP/1.1 streams are hijacked (stream_h1.go).
func (st *stream) Pooled() bool { return st.r.ProtoMajor >= 2 }

// Abort unblocks a write in progress and ends the response. It may come
// after the handler returned (a resume takes the peer over), when w must
// not be touched.
func (st *stream) Abort() {
	st.mu.Lock()
	if !st.over {
		_ = st.rc.SetWriteDeadline(time.Now())
	}
	st.mu.Unlock()
	st.end()
}

func (st *stream) end() {
	st.mu.Lock()
	if !st.endDone {
		st.endDone = true
		close(st.ended)
	}
	st.mu.Unlock()
}

// write sends buf as one write and one flush under a write deadline
// (h2deadline.go), then returns the buffer to streamBufs.
func (st *stream) write(buf []byte) error {
	defer st.wb.put(buf)
	st.deadlineAhead()
	_, err := st.w.Write(buf)
	if err == nil {
		err = st.rc.Flush()
	}
	st.deadlineIdle()
	if err != nil && st.r.Context().Err() != nil {
		// The client reset the stream, or closed the connection.
		err = fmt.Errorf("%w: %w", anyws.ErrClientLeft, err)
	}
	return err
}

// writeBuf is a stream's write buffer, borrowed from streamBufs while a
// batch is built and written: an idle stream holds none.
type writeBuf struct{ bp *[]byte }

// get returns an empty buffer that starts with prefix.
func (w *writeBuf) get(prefix string) []byte {
	if w.bp == nil {
		w.bp = streamBufs.Get().(*[]byte)
	}
	return append((*w.bp)[:0], prefix...)
}

// put gives buf (grown from get) back to streamBufs.
func (w *writeBuf) put(buf []byte) {
	bp := w.bp
	w.bp = nil
	if bp == nil {
		bp = new([]byte)
	}
	if cap(buf) <= maxKeptBuffer {
		*bp = buf[:0]
		streamBufs.Put(bp)
	}
}

// claimAgainHeaders are the headers of the empty stream that answers a
// claim the Hub could not serve now (anyws.ErrClaimAgain).
func claimAgainHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
}
