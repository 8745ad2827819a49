package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws"
)

// serveUplink delivers the messages of one POST to the peer whose token
// it carries, in the Message hook, in order. Which of the three uplink
// forms a POST is depends on its headers:
//
//   - Content-Type text/event-stream: framed uplink, a stream of SSE
//     events (see decodeFramed), answered 204 at the end;
//   - a body of unknown length (chunked, or HTTP/2 without
//     Content-Length) with Content-Type application/octet-stream:
//     crossws's raw stream, each read one text message, answered 200;
//   - anything else: the whole body is one message, binary if its
//     Content-Type is application/octet-stream, answered 204.
func (h *Handler) serveUplink(w http.ResponseWriter, r *http.Request) {
	body := &uplinkBody{r: r.Body}
	tok := r.Header.Get(TokenHeader)
	if tok == "" {
		refuse(w, r, body)
		httpError(w, http.StatusBadRequest, "anyws: a POST must carry the x-crossws-id header: the token of the crossws-id event of your event stream")
		return
	}
	if !h.checkOrigin(w, r) {
		return
	}
	// The Upgrade hook sees every request, as in crossws: it may refuse a
	// POST (say, an expired session cookie) and adds its headers to the
	// answer. What it sets for a new peer (namespace, values) is ignored:
	// the peer exists already.
	u, err := h.hub.Accept(r, &h.opts.Hooks, "sse", nil)
	if err != nil {
		refuse(w, r, body)
		writeUpgradeError(w, r, err)
		return
	}
	for k, v := range u.Header {
		w.Header()[k] = append(w.Header()[k], v...)
	}
	var s target
	if ls := h.session(tok); ls != nil {
		s = local{ls}
	} else if rs := h.remote(r.Context(), tok); rs != nil {
		s = rs // the stream is on another node: forward there
	} else {
		refuse(w, r, body)
		notFound(w)
		return
	}
	if info, ok, lerr := leaveInfo(r, body); ok {
		if err = lerr; err == nil {
			err = s.Leave(info)
		}
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		refuse(w, r, body)
		writeUplinkError(w, err)
		return
	}
	switch mt := mediaType(r); {
	case mt == "text/event-stream":
		err = h.uplinkStream(w, r, tok, body, s, func(body io.Reader, deliver func(anyws.Message, uint64) error) error {
			return decodeFramed(body, h.opts.MaxMessageBytes, deliver)
		})
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case r.ContentLength < 0 && mt == "application/octet-stream":
		err = h.uplinkStream(w, r, tok, body, s, func(body io.Reader, deliver func(anyws.Message, uint64) error) error {
			return decodeRaw(body, min(h.opts.MaxMessageBytes, rawIdleReadSize), min(h.opts.MaxMessageBytes, rawReadSize), func(m anyws.Message) error {
				return deliver(m, 0) // crossws's raw stream numbers nothing
			})
		})
		if err == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
	default:
		var seq uint64
		if seq, err = uplinkSeq(r); err != nil {
			break
		}
		err = h.uplinkOne(w, r, body, s, mt == "application/octet-stream", seq)
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	refuse(w, r, body) // the body may not have been read to its end
	writeUplinkError(w, err)
}

// uplinkOne delivers a whole body as one message. The body must arrive
// within Options.UplinkTimeout, and its reading ends when the peer does.
func (h *Handler) uplinkOne(w http.ResponseWriter, r *http.Request, body io.Reader, s target, binary bool, seq uint64) error {
	limit := int64(h.opts.MaxMessageBytes)
	if r.ContentLength > limit {
		return tooLarge(r.ContentLength, h.opts.MaxMessageBytes)
	}
	rc := http.NewResponseController(w)
	h.setBodyDeadline(rc, r)
	stop := endWithPeer(s.Context(), rc)
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	gone := stop()
	switch {
	case err != nil && gone:
		return anyws.ErrClosed
	case isTimeout(err):
		return h.errBodyTimeout(err)
	case err != nil:
		return &uplinkError{status: http.StatusBadRequest, msg: "anyws: reading the message body failed", err: err}
	case int64(len(data)) > limit:
		return tooLarge(int64(len(data)), h.opts.MaxMessageBytes)
	case !binary && !utf8.Valid(data):
		return errInvalidText
	}
	// Read in time: the Message hook is not under the body's deadline,
	// which would also fail net/http's wait for the next request.
	_ = rc.SetReadDeadline(time.Time{})
	return s.Deliver(anyws.NewMessage(data, binary), seq)
}

// uplinkStream runs decode over a long-lived streaming body. The body
// has no deadline (the server's ReadTimeout is cleared), and reading stops
// when the peer finishes, so an uplink never outlives its stream. Their
// number is bounded per peer and per Handler (see acquireStream).
func (h *Handler) uplinkStream(w http.ResponseWriter, r *http.Request, tok string, body io.Reader, s target, decode func(io.Reader, func(anyws.Message, uint64) error) error) error {
	ctx, end := context.WithCancel(s.Context())
	defer end()
	release, err := h.acquireStream(tok, end)
	if err != nil {
		return err
	}
	defer release()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	stop := endWithPeer(ctx, rc)
	err = decode(body, s.Deliver)
	if gone := stop(); err != nil && gone {
		return anyws.ErrClosed
	}
	return err
}

// target is where an uplink's messages go: the session of a stream on
// this node, or a forwarder to the node holding it.
type target interface {
	// Deliver runs the peer's Message hook, unless seq (the client's
	// number for the message, 0 for none) says it did already;
	// anyws.ErrClosed means the peer is gone (404), an *uplinkError
	// carries another status.
	Deliver(m anyws.Message, seq uint64) error
	// Leave closes the peer because its client said goodbye (see
	// uplink_leave.go); same errors as Deliver.
	Leave(info anyws.CloseInfo) error
	// Context ends when the peer is known to be gone.
	Context() context.Context
}

// local is a stream served by this node.
type local struct{ *anyws.Session }

func (l local) Deliver(m anyws.Message, seq uint64) error { return l.Session.Deliver(m, seq) }

func (l local) Leave(info anyws.CloseInfo) error {
	l.Session.Leave(info)
	return nil
}

func (l local) Context() context.Context { return l.Peer().Context() }

// uplinkError is an uplink failure with the HTTP status it is answered
// with.
type uplinkError struct {
	status int
	msg    string
	err    error
}

func (e *uplinkError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *uplinkError) Unwrap() error { return e.err }

var errInvalidText = &uplinkError{
	status: http.StatusBadRequest,
	msg:    "anyws: a text message is not valid UTF-8: send binary data with Content-Type application/octet-stream (or as an event: binary in a framed uplink)",
}

func tooLarge(n int64, limit int) error {
	return &uplinkError{
		status: http.StatusRequestEntityTooLarge,
		msg:    fmt.Sprintf("anyws: message of %d bytes or more exceeds the limit of %d bytes (Options.MaxMessageBytes): split it", n, limit),
	}
}

func notFound(w http.ResponseWriter) {
	httpError(w, http.StatusNotFound, "anyws: unknown or closed peer token in x-crossws-id: open a new event stream and use the token of its crossws-id event")
}

func writeUplinkError(w http.ResponseWriter, err error) {
	var ue *uplinkError
	switch {
	case errors.Is(err, anyws.ErrClosed):
		notFound(w)
	case errors.As(err, &ue):
		httpError(w, ue.status, ue.Error())
	default:
		httpError(w, http.StatusBadRequest, "anyws: reading the uplink failed: "+err.Error())
	}
}
