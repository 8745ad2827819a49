package websocketsse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// HTTPError is an unexpected HTTP answer: the stream GET got something
// other than 200, or an uplink POST something other than 2xx (404 for a
// stale or unknown token, 413 for a message over the server's limit, 400
// for a malformed one). Body holds the start of the response body, where
// an anyws server says what was wrong. Test for it with errors.As.
type HTTPError struct {
	Method     string // "GET" or "POST"
	URL        string
	StatusCode int
	Status     string // "404 Not Found"
	Body       string // at most maxErrorBody bytes
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("websocketsse: %s %s: server answered %s", e.Method, e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

const maxErrorBody = 512

// ErrClosed is wrapped by the errors of Read and Write after Close or
// CloseNow; it wraps net.ErrClosed, as coder/websocket's do.
var ErrClosed = fmt.Errorf("websocketsse: connection closed: %w", net.ErrClosed)

// ErrStreamDown is wrapped by the error Write returns while the event
// stream is down and at least one attempt to re-open it has failed: the
// message was not sent. The Conn keeps reconnecting by its policy; write
// again once it is back, or give up (Read fails if it never comes back).
var ErrStreamDown = errors.New("websocketsse: the event stream is down and reconnecting; the message was not sent")

// newHTTPError reads the start of resp's body into the error, closes the
// body and replaces it with the bytes read, so a caller given resp can
// still read them.
func newHTTPError(resp *http.Response) *HTTPError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return &HTTPError{
		Method:     resp.Request.Method,
		URL:        resp.Request.URL.Redacted(),
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Body:       strings.TrimSpace(string(b)),
	}
}

// discard drains a little of a body, so the connection can be reused, and
// closes it.
func discard(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4096))
	_ = body.Close()
}
