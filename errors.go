package anyws

import (
	"errors"
	"fmt"
	"net"
	"net/http"
)

// ErrClosed is returned by Send and friends once a peer has closed. It
// wraps net.ErrClosed, so errors.Is(err, net.ErrClosed) holds too.
var ErrClosed = fmt.Errorf("anyws: peer closed: %w", net.ErrClosed)

// ErrHubClosed is returned once Shutdown or Close has been called.
var ErrHubClosed = errors.New("anyws: hub closed")

// ErrClaimAgain is returned by Hub.Attach when the claimed peer could
// not be taken over now, for a reason that is not the client's (the
// node lost its broker halfway through taking the peer from another
// node): giving the client a new peer would lose its messages for
// nothing. A transport ends the connection as a drop, without a close,
// so that the client reconnects and claims again (it may reach a node
// that can).
var ErrClaimAgain = errors.New("anyws: the claimed peer could not be taken over now: claim it again")

// ErrClientLeft is what a transport's Conn wraps in a Write or
// KeepAlive error when the write failed because the client had closed
// the connection (a broken pipe, a reset). Over a protocol without a
// close handshake (SSE) that is how a client leaves, not a lost
// connection: the core aborts the connection and lets the reader's
// Closed or Dropped say how it ended, as it would have had the reader
// seen the end first, and does not report the error.
var ErrClientLeft = errors.New("anyws: the client closed the connection")

// ErrQueueFull is returned by Send when a peer's outbound queue is full. With
// the default policy the peer is being closed with StatusTryAgainLater.
var ErrQueueFull = errors.New("anyws: send queue full")

// Rejection is the response an Upgrade hook refuses a connection with. The
// adapter writes it itself, before any upgrade, as a plain HTTP response.
type Rejection struct {
	Status int         // HTTP status; 0 means 403 Forbidden
	Header http.Header // extra response headers
	Body   string      // text body; empty means the status text
}

// Reject returns a Rejection with a status and a text body, ready to be
// returned from an Upgrade hook.
func Reject(status int, body string) *Rejection {
	return &Rejection{Status: status, Body: body}
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("anyws: upgrade rejected: %d %s", r.status(), r.body())
}

func (r *Rejection) status() int {
	if r.Status == 0 {
		return http.StatusForbidden
	}
	return r.Status
}

func (r *Rejection) body() string {
	if r.Body == "" {
		return http.StatusText(r.status())
	}
	return r.Body
}

// ServeHTTP writes the rejection. A text/plain content type is set unless
// the hook set its own.
func (r *Rejection) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	for k, v := range r.Header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(r.status())
	_, _ = w.Write([]byte(r.body()))
}
