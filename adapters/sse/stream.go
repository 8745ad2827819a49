package sse

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
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
// net/http (serveH1); any other is served on the request's goroutine,
// which is the only writer of the response: it writes everything queued for the peer
// in batches, keep-alives, and the close event, until the peer closes or
// the client goes away.
func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(w, r) {
		return
	}
	u, err := h.hub.Upgrade(r, &h.opts.Hooks, "sse", nil)
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
	var token string
	var e *entry
	if h.opts.Bidirectional {
		token, e = h.tokens.add()
		defer h.tokens.remove(token)
	}
	rc := http.NewResponseController(w)
	// A stream outlives any server-wide timeout; each write gets its own
	// deadline instead.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	writeHeaders(w.Header(), u.Header, r, token)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		if e != nil {
			close(e.ready)
		}
		return // the client is gone, or w cannot stream: no peer is made
	}
	s, err := h.hub.Connect(u)
	if e != nil {
		e.s = s
		close(e.ready)
	}
	if err != nil {
		// The Hub shut down between Upgrade and Connect: say so the way
		// any close is said.
		st := stream{h: h, rc: rc, w: w}
		_ = st.write(appendClose(nil, anyws.StatusGoingAway, "server shutting down"))
		return
	}
	st := stream{h: h, rc: rc, w: w, s: s}
	info := st.run(r.Context(), token)
	if e != nil {
		h.tokens.remove(token) // before Close runs: the token is dead
	}
	s.Finish(info)
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

// stream is the writer side of one SSE response.
type stream struct {
	h  *Handler
	w  http.ResponseWriter
	rc *http.ResponseController
	s  *anyws.Session
	wb writeBuf
}

// buffer returns an empty buffer from streamBufs to append a batch to;
// write gives it back.
func (st *stream) buffer() []byte { return st.wb.get("") }

// run writes until the peer must end and returns why. The request's
// goroutine waits on two channels only, sig and the request's end: the
// Session signals sig through Notify and the keep-alive timer signals it
// too, because each channel an idle goroutine waits on costs memory for
// as long as it waits (10,000 quiet streams are the common case).
func (st *stream) run(ctx context.Context, token string) anyws.CloseInfo {
	s := st.s
	buf := st.buffer()
	if st.h.opts.Retry > 0 {
		buf = sse.AppendRetry(buf, st.h.opts.Retry)
	}
	// What Open sent comes first, then the token: crossws's demo sends
	// its welcome message before the client may talk.
	var batch []*anyws.Frame
	discard := false
	if s.CloseRequested() { // Open closed the peer
		_, _, _, discard = s.CloseRequest()
	}
	if !discard {
		batch = s.Take()
		buf = appendFrames(buf, batch)
	}
	if token != "" {
		buf = appendToken(buf, token)
	}
	if err := st.write(buf); err != nil {
		return st.writeFailed(err)
	}
	s.Written(batch)

	sig := make(chan struct{}, 1)
	notify := func() {
		select {
		case sig <- struct{}{}:
		default:
		}
	}
	s.Notify(notify)
	ka := st.h.opts.KeepAlive
	var keepAlive *time.Timer
	var due atomic.Bool // the keep-alive timer fired
	if ka > 0 {
		keepAlive = time.AfterFunc(ka, func() {
			due.Store(true)
			notify()
		})
		defer keepAlive.Stop()
	}
	for {
		select {
		case <-sig:
		case <-ctx.Done():
			// The client closed the EventSource or the connection
			// dropped. SSE has no close handshake, so this is the normal
			// way for a client to leave: 1001, like a browser tab closing.
			return anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away", Err: context.Cause(ctx)}
		}
		if s.CloseRequested() {
			return st.close()
		}
		batch := s.Take()
		var buf []byte
		switch {
		case len(batch) > 0:
			buf = appendFrames(st.buffer(), batch)
		case due.Load():
			buf = sse.AppendComment(st.buffer(), "keep-alive")
		default:
			continue // a signal with nothing left to do
		}
		due.Store(false) // any write resets the keep-alive
		if err := st.write(buf); err != nil {
			return st.writeFailed(err)
		}
		if len(batch) > 0 {
			s.Written(batch)
		}
		if keepAlive != nil {
			keepAlive.Reset(ka)
		}
	}
}

// close writes what is queued (unless the close discards it) and the
// close event (unless it is abrupt).
func (st *stream) close() anyws.CloseInfo {
	code, reason, abrupt, discard := st.s.CloseRequest()
	buf := st.buffer()
	if !discard {
		buf = appendFrames(buf, st.s.Take())
	}
	if !abrupt {
		buf = appendClose(buf, code, reason)
	}
	if len(buf) > 0 {
		_ = st.write(buf)
	}
	return anyws.CloseInfo{Code: code, Reason: reason}
}

// writeFailed reports a failed write. If the server had already asked
// the peer to close (a queue overflow behind a stalled client, say), that
// close is what the Close hook sees.
func (st *stream) writeFailed(err error) anyws.CloseInfo {
	if st.s.CloseRequested() {
		code, reason, _, _ := st.s.CloseRequest()
		return anyws.CloseInfo{Code: code, Reason: reason, Err: err}
	}
	st.s.ReportError(err)
	return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}
}

// write sends buf as one write and one flush under Options.WriteTimeout,
// then returns the buffer to streamBufs.
func (st *stream) write(buf []byte) error {
	defer st.release(buf)
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.h.opts.WriteTimeout))
	_, err := st.w.Write(buf)
	if err == nil {
		err = st.rc.Flush()
	}
	// No deadline while idle, so that the end of the response (the last
	// chunk) can still be written after a long quiet period.
	_ = st.rc.SetWriteDeadline(time.Time{})
	return err
}

// release gives buf (grown from buffer) back to streamBufs.
func (st *stream) release(buf []byte) { st.wb.put(buf) }

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

func appendFrames(dst []byte, batch []*anyws.Frame) []byte {
	for _, f := range batch {
		dst = append(dst, encodeFrame(f)...)
	}
	return dst
}
