package main_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// sseClient is crossws's bidirectional SSE client done by hand: an event
// stream, and POSTs carrying the token of its crossws-id event.
type sseClient struct {
	t      *testing.T
	url    string
	resp   *http.Response
	events chan sse.Event // closed when the stream ends
	cancel context.CancelFunc
	token  string
	id     string
}

// dialSSE opens a stream and reads it up to the crossws-id event, which
// must come right after the welcome.
func dialSSE(t *testing.T, s *server, path string, header http.Header) *sseClient {
	t.Helper()
	c, resp := openSSE(t, s, path, header)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	u, err := url.Parse(c.url)
	require.NoError(t, err)
	c.id = welcomeID(t, c.readMessage(), u.Path)
	ev := c.next()
	require.Equal(t, "crossws-id", ev.Type)
	c.token = string(ev.Data)
	require.Equal(t, c.token, resp.Header.Get("X-Crossws-Id"))
	require.Equal(t, "pong", c.ask("ping"), "the Open hook has run (see dialWS)")
	return c
}

// openSSE sends the stream's GET; when it is answered 200 a goroutine
// parses its events until the test ends.
func openSSE(t *testing.T, s *server, path string, header http.Header) (*sseClient, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url(path), nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Connection", "keep-alive")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		require.NoError(t, err)
	}
	c := &sseClient{t: t, url: s.url(path), resp: resp, events: make(chan sse.Event, 64), cancel: cancel}
	if resp.StatusCode != http.StatusOK {
		cancel()
		close(c.events)
		return c, resp
	}
	go func() {
		defer close(c.events)
		defer resp.Body.Close()
		p := sse.NewParser(resp.Body, 0)
		for {
			ev, err := p.Next()
			if err != nil {
				return
			}
			ev.Data = append([]byte(nil), ev.Data...)
			select {
			case c.events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(c.close)
	return c, resp
}

// close ends the stream, as EventSource.close does, and waits for the
// reader to stop.
func (c *sseClient) close() {
	c.cancel()
	for range c.events {
	}
}

func (c *sseClient) next() sse.Event {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), timeout)
	defer cancel()
	select {
	case ev, ok := <-c.events:
		require.True(c.t, ok, "the event stream ended")
		return ev
	case <-ctx.Done():
		require.FailNow(c.t, "no event in time")
		return sse.Event{}
	}
}

// readMessage returns the data of the next event, which must be a
// message event.
func (c *sseClient) readMessage() string {
	c.t.Helper()
	ev := c.next()
	require.Equal(c.t, "message", ev.Type, "event %q: %q", ev.Type, ev.Data)
	return string(ev.Data)
}

// post sends one message as crossws's client does with stream: false.
func (c *sseClient) post(text string) {
	c.t.Helper()
	resp, body := c.postRaw(c.token, strings.NewReader(text), "")
	require.Equal(c.t, http.StatusNoContent, resp.StatusCode, body)
}

func (c *sseClient) postRaw(token string, body io.Reader, contentType string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(ctxT(c.t), http.MethodPost, c.url, body)
	require.NoError(c.t, err)
	req.Header.Set("X-Crossws-Id", token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, string(b)
}

func (c *sseClient) ask(text string) string {
	c.t.Helper()
	c.post(text)
	return c.readMessage()
}

func TestSSEStream(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialSSE(t, s, "/?foo=bar", nil)
	h := c.resp.Header
	require.Equal(t, "text/event-stream", h.Get("Content-Type"))
	require.Contains(t, h.Get("Cache-Control"), "no-cache")
	requireDemoHeaders(t, h)
	require.NotEqual(t, c.id, c.token, "the uplink token is a secret, not the public id")
	require.GreaterOrEqual(t, len(c.token), 22, "128 random bits")
}

func TestSSECommands(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialSSE(t, s, "/", nil)
	require.Equal(t, "pong", c.ask("ping"))
	require.Equal(t, "drained", c.ask("waitForDrain"))
	require.Equal(t, "binary message works!", c.ask("binary"), "crossws sends it as plain text on SSE")
	require.Equal(t, `{"peers":["`+c.id+`"]}`, c.ask("peers"))
	require.Equal(t, "multi\nline", c.ask("multi\nline"))

	// A binary body is read as its UTF-8 text, as crossws does.
	resp, body := c.postRaw(c.token, strings.NewReader("ping"), "application/octet-stream")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, body)
	require.Equal(t, "pong", c.readMessage())
}

func TestSSEDebug(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialSSE(t, s, "/?foo=bar", http.Header{"X-Test": {"1"}})
	d := parseDebug(t, c.ask("debug"))
	require.Equal(t, c.id, d.ID)
	require.Equal(t, "127.0.0.1", d.RemoteAddress)
	require.Equal(t, map[string]any{"test": "1"}, d.Context)
	require.Equal(t, "http://"+s.host+"/?foo=bar", d.Request.URL)
	require.Equal(t, "ws://"+s.host+"/?foo=bar", d.WebSocket.URL)
	require.Equal(t, 1, d.WebSocket.ReadyState)
	require.Empty(t, *d.WebSocket.Protocol)
	require.Empty(t, *d.WebSocket.Extensions)
	h := d.Request.Headers
	require.Equal(t, s.host, h["host"])
	require.Equal(t, "keep-alive", h["connection"])
	require.Equal(t, "text/event-stream", h["accept"])
	require.Equal(t, "1", h["x-test"])
	require.NotContains(t, h, "x-crossws-id", "debug shows the stream's GET, not the POST")
}

// TestSSEStreamingUplink is crossws's stream: true mode: one chunked POST
// that stays open, each chunk one message handled as it arrives.
func TestSSEStreamingUplink(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialSSE(t, s, "/?foo=bar", nil)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var resp *http.Response
	var body string
	go func() {
		defer close(done)
		resp, body = c.postRaw(c.token, pr, "application/octet-stream")
	}()
	for _, tc := range []struct{ send, want string }{
		{"ping", "pong"}, {"waitForDrain", "drained"}, {"héllo", "héllo"}, {"ping", "pong"},
	} {
		_, err := pw.Write([]byte(tc.send))
		require.NoError(t, err)
		require.Equal(t, tc.want, c.readMessage(), "sent %q", tc.send)
	}
	require.NoError(t, pw.Close())
	<-done
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, body)
	require.Equal(t, "pong", c.ask("ping"), "the stream outlives its uplink")
}

func TestSSEUnauthorized(t *testing.T) {
	t.Parallel()
	s := serve(t)
	resp, body := get(t, s.url("/?unauthorized"), http.Header{"Accept": {"text/event-stream"}})
	requireUnauthorized(t, resp, body)
	require.Empty(t, peersList(t, s))

	// The Upgrade hook runs for uplink POSTs too (spec section 3): a POST
	// to "?unauthorized" is refused even with a valid token, and an
	// accepted POST carries the hook's headers.
	c := dialSSE(t, s, "/", nil)
	c.url += "?unauthorized"
	resp, body = c.postRaw(c.token, strings.NewReader("ping"), "")
	requireUnauthorized(t, resp, body)
	c.url = strings.TrimSuffix(c.url, "?unauthorized")
	resp, body = c.postRaw(c.token, strings.NewReader("ping"), "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, body)
	require.Equal(t, []string{"cross-ws"}, resp.Header.Values("X-Powered-By"))
	require.Equal(t, "pong", c.readMessage())
}

func TestSSEUnknownToken(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialSSE(t, s, "/", nil)
	resp, body := c.postRaw(c.id, strings.NewReader("ping"), "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "the public id is not a token")
	require.True(t, strings.HasPrefix(body, "anyws: "), body)
	require.Equal(t, "pong", c.ask("ping"))
}

func TestSSECloseLeavesPeers(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialSSE(t, s, "/", nil)
	b := dialSSE(t, s, "/", nil)
	require.Equal(t, b.id+" joined!", a.readMessage())
	require.Equal(t, []string{a.id, b.id}, peersList(t, s))

	a.close()
	require.Eventually(t, func() bool { return len(peersList(t, s)) == 1 }, timeout, tick)
	require.Equal(t, []string{b.id}, peersList(t, s))
	resp, _ := b.postRaw(a.token, strings.NewReader("ping"), "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "a closed peer's token is dead")
}

// TestMixedTransports checks that WebSocket and SSE peers share one chat,
// one peer list and one /publish.
func TestMixedTransports(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialSSE(t, s, "/", nil)
	require.Equal(t, b.id+" joined!", a.readText())

	require.Equal(t, "from sse", b.ask("from sse"))
	require.Equal(t, "from sse", a.readText())
	require.Equal(t, "from ws", a.ask("from ws"))
	require.Equal(t, "from ws", b.readMessage())

	want := `{"peers":["` + a.id + `","` + b.id + `"]}`
	require.Equal(t, want, a.ask("peers"))
	require.Equal(t, want, b.ask("peers"))
	require.Equal(t, []string{a.id, b.id}, peersList(t, s))

	resp, body := get(t, s.url("/publish?topic=chat&message=ping"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "published", body)
	require.Equal(t, "ping", a.readText())
	require.Equal(t, "ping", b.readMessage())
}
