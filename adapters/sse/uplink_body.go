package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// uplinkBody is a POST's body that remembers whether it was read to its
// end, which decides how a refusal is answered (see refuse).
type uplinkBody struct {
	r   io.Reader
	eof bool
}

func (b *uplinkBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// refuse prepares the answer to a POST whose body may not have been read
// to its end (body nil: none of it was). Left alone, an HTTP/1.x server
// reads what is left of the body before it writes the answer, and after
// the handler returns: a client whose chunked body never ends would get
// no answer and hold a connection and a goroutine for as long as it
// likes, without a token. So the answer says Connection: close (net/http
// then writes it at once) and the body's reads fail from now on (so
// net/http gives up its last read at once and closes the connection).
// HTTP/2 resets the stream of an unread body by itself.
func refuse(w http.ResponseWriter, r *http.Request, body *uplinkBody) {
	if r.ProtoMajor != 1 || r.ContentLength == 0 || (body != nil && body.eof) {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// setBodyDeadline gives a one-message POST Options.UplinkTimeout to send
// its body, unless the server's own ReadTimeout is stricter.
func (h *Handler) setBodyDeadline(rc *http.ResponseController, r *http.Request) {
	d := h.opts.UplinkTimeout
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout <= d {
		return
	}
	_ = rc.SetReadDeadline(time.Now().Add(d))
}

// errBodyTimeout is a one-message body that did not arrive in time.
func (h *Handler) errBodyTimeout(err error) error {
	return &uplinkError{
		status: http.StatusRequestTimeout,
		msg:    fmt.Sprintf("anyws: the message body did not arrive within %s (Options.UplinkTimeout): send it at once, or use a streaming uplink", h.opts.UplinkTimeout),
		err:    err,
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// endWithPeer makes the reads of a POST's body fail as soon as ctx (the
// peer's) ends, so that no uplink outlives its stream. The returned stop
// ends the watch and reports whether the peer had gone; after it the
// callback is not running and will not run, so rc may be dropped.
func endWithPeer(ctx context.Context, rc *http.ResponseController) (stop func() (gone bool)) {
	var gone atomic.Bool
	done := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		defer close(done)
		gone.Store(true)
		_ = rc.SetReadDeadline(time.Now()) // unblocks the body's Read
	})
	return func() bool {
		if !cancel() {
			<-done
		}
		return gone.Load()
	}
}
