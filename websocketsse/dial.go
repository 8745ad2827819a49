package websocketsse

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// errNoContent marks a 204 answer: the server asks the client to stop.
var errNoContent = errors.New("websocketsse: server answered 204 No Content: it asks clients not to reconnect")

// Dial opens the event stream at u and returns a Conn to read and write
// messages, like websocket.Dial. u may be ws://, wss://, http:// or
// https://; ws and wss become http and https.
//
// ctx bounds the dial only: once Dial has returned, the Conn lives until
// Close, CloseNow, or the server ends it. If ctx ends first, Dial returns
// its error and leaves nothing running.
//
// The response is the stream's: its headers (x-crossws-id, cookies, ...)
// are the caller's to read, but its body belongs to the Conn. When Dial
// fails because of the server's answer (a status other than 200, which
// is reported as an [*HTTPError], or a Content-Type other than
// text/event-stream), the response is returned too, with the start of its
// body readable. A 204 fails Dial: per the EventSource rules it means
// "do not connect".
func Dial(ctx context.Context, u string, opts *DialOptions) (*Conn, *http.Response, error) {
	o := opts.withDefaults()
	target, err := httpURL(u)
	if err != nil {
		return nil, nil, err
	}
	c := newConn(target, o)
	stop := context.AfterFunc(ctx, c.cancel)
	resp, err := c.get(c.ctx)
	if !stop() {
		if err == nil {
			_ = resp.Body.Close()
		}
		c.shutdown(ErrClosed)
		return nil, nil, fmt.Errorf("websocketsse: dial %s: %w", target, ctx.Err())
	}
	if err != nil {
		c.shutdown(ErrClosed)
		return nil, resp, err
	}
	c.adopt(resp)
	c.wg.Add(1)
	go c.runStream(resp)
	return c, resp, nil
}

// httpURL turns a ws(s) URL into http(s) and refuses other schemes.
func httpURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("websocketsse: parse URL: %w", err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return "", fmt.Errorf("websocketsse: URL %q: scheme must be ws, wss, http or https", s)
	}
	u.Fragment = ""
	return u.String(), nil
}

// defaultClient speaks HTTP/1.1 and HTTP/2 (over TLS, by ALPN). Each Conn
// gets its own transport so that Close can close its idle connections.
func defaultClient() (*http.Client, *http.Transport) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = true
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}, t
}

// get sends the stream GET and checks the answer: 200 with a
// text/event-stream Content-Type. On a bad answer it returns the response
// (body consumed and replaced) with the error.
func (c *Conn) get(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("websocketsse: %w", err)
	}
	for k, v := range c.opts.HTTPHeader {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	askBinaryEvents(req.Header)
	askShortIDs(req.Header)
	if id := c.lastEventID(); id != "" {
		req.Header.Set("Last-Event-ID", id)
		// Every topic's last position: a complete list, even empty, so
		// a peer whose node died can be rebuilt with what it missed.
		req.Header.Set(sse.MarksHeader, c.marks.Header())
		req.Header.Set(sse.SentHeader, strconv.FormatUint(c.numbered.Load(), 10))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("websocketsse: GET %s: %w", req.URL.Redacted(), err)
	}
	switch {
	case resp.StatusCode == http.StatusNoContent:
		discard(resp.Body)
		return resp, errNoContent
	case resp.StatusCode != http.StatusOK:
		return resp, newHTTPError(resp)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/event-stream" {
		herr := newHTTPError(resp)
		return resp, fmt.Errorf("websocketsse: GET %s: %w: Content-Type is %q, want text/event-stream", herr.URL, errContentType, ct)
	}
	if sse.HeaderSays(resp.Header, sse.ResumableHeader, sse.Resumable) {
		// Known before the hello is read: a POST made at once is
		// numbered, and a Close made at once says goodbye.
		c.mu.Lock()
		c.resumable = true
		c.mu.Unlock()
	}
	return resp, nil
}

// isFatal reports whether a failed reconnect must not be retried: the
// EventSource rules fail the connection for good on any HTTP answer that
// is not a 200 event stream, and stop on 204.
func isFatal(err error) bool {
	var herr *HTTPError
	return errors.As(err, &herr) || errors.Is(err, errNoContent) || errors.Is(err, errContentType)
}

var errContentType = errors.New("not an event stream")

// stopped is what Read returns after a 204 on reconnect.
var stopped = websocket.CloseError{Code: websocket.StatusNormalClosure, Reason: "server answered 204 No Content"}
