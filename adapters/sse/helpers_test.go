package sse_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// wait bounds every wait: generous, so a loaded machine under -race does
// not fail a correct adapter. It is never a speed assertion.
const wait = 20 * time.Second

// mode is one HTTP flavour a test server speaks.
type mode string

const (
	h1  mode = "http1"
	h2c mode = "h2c"
	h2  mode = "h2-tls"
)

var allModes = []mode{h1, h2c, h2}

// env is a Hub served by one sse.Handler on a loopback test server.
type env struct {
	hub    *anyws.Hub
	rec    *recorder
	url    string
	client *http.Client
	srv    *httptest.Server
}

type envConfig struct {
	mode  mode
	opts  *adapter.Options
	hub   *anyws.Options
	hooks func(r *recorder) anyws.Hooks   // default: r.hooks()
	start func(net.Listener) net.Listener // wraps the server's listener
}

// newEnv serves a new Hub. Cleanup closes the Hub first (ending every
// stream), then the server and the client's connections.
func newEnv(t *testing.T, cfg envConfig) *env {
	t.Helper()
	rec := newRecorder()
	hooks := rec.hooks()
	if cfg.hooks != nil {
		hooks = cfg.hooks(rec)
	}
	if cfg.hub == nil {
		// These tests check the plain wire and a close at the end of the
		// stream; recovery (on by default) is tested with explicit
		// options here, in the suite and in internal/test/recovery.
		cfg.hub = &anyws.Options{ResumeWindow: -1}
	}
	hub := anyws.New(hooks, cfg.hub)
	e := &env{hub: hub, rec: rec}
	srv := httptest.NewUnstartedServer(adapter.New(hub, cfg.opts))
	if cfg.start != nil {
		srv.Listener = cfg.start(srv.Listener)
	}
	e.srv, e.client = srv, startServer(t, srv, cfg.mode)
	e.url = e.srv.URL + "/room?x=1"
	t.Cleanup(func() { _ = hub.Close() })
	return e
}

// serve starts h on loopback in mode and returns a client for it. The
// server is closed at cleanup.
func serve(t *testing.T, h http.Handler, m mode) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	return srv, startServer(t, srv, m)
}

// startServer starts srv in mode and returns a client for it.
func startServer(t *testing.T, srv *httptest.Server, m mode) *http.Client {
	t.Helper()
	var client *http.Client
	switch m {
	case h1, "":
		srv.Start()
		client = &http.Client{Transport: &http.Transport{}}
	case h2c:
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = p
		srv.Start()
		cp := new(http.Protocols)
		cp.SetUnencryptedHTTP2(true)
		client = &http.Client{Transport: &http.Transport{Protocols: cp}}
	case h2:
		srv.EnableHTTP2 = true
		srv.StartTLS()
		client = srv.Client()
	}
	t.Cleanup(func() {
		srv.Close()
		client.CloseIdleConnections()
	})
	return client
}

// recorder is hooks that record what ran, for tests to wait on.
type recorder struct {
	opened chan *anyws.Peer
	msgs   chan anyws.Message
	closed chan closeEvent
	closes atomic.Int32
	errs   chan error

	// onOpen runs inside Open when set before the Hub is used.
	onOpen func(p *anyws.Peer)
}

type closeEvent struct {
	p    *anyws.Peer
	info anyws.CloseInfo
}

func newRecorder() *recorder {
	return &recorder{
		opened: make(chan *anyws.Peer, 1024),
		msgs:   make(chan anyws.Message, 4096),
		closed: make(chan closeEvent, 1024),
		errs:   make(chan error, 1024),
	}
}

func (r *recorder) hooks() anyws.Hooks {
	return anyws.Hooks{
		Open: func(p *anyws.Peer) {
			if r.onOpen != nil {
				r.onOpen(p)
			}
			r.opened <- p
		},
		Message: func(_ *anyws.Peer, m anyws.Message) { r.msgs <- m },
		Close: func(p *anyws.Peer, c anyws.CloseInfo) {
			r.closes.Add(1)
			r.closed <- closeEvent{p, c}
		},
		Error: func(_ *anyws.Peer, err error) {
			select {
			case r.errs <- err:
			default:
			}
		},
	}
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}

func (r *recorder) peer(t *testing.T) *anyws.Peer { return recv(t, r.opened, "Open") }

func (r *recorder) msg(t *testing.T) anyws.Message { return recv(t, r.msgs, "a message") }

func (r *recorder) close(t *testing.T) closeEvent { return recv(t, r.closed, "Close") }

// client is one event stream read by a background goroutine through
// internal/sse's parser, keeping the raw bytes too.
type client struct {
	resp   *http.Response
	events chan sse.Event
	done   chan struct{} // closed when the reader ends
	err    error         // why it ended, valid after done
	cancel context.CancelFunc

	mu  sync.Mutex
	raw bytes.Buffer
}

// open opens a stream and starts reading it. It is closed at cleanup.
func open(t *testing.T, hc *http.Client, url string, hdr ...string) *client {
	t.Helper()
	c := tryOpen(t, hc, url, hdr...)
	require.Equal(t, http.StatusOK, c.resp.StatusCode)
	return c
}

func tryOpen(t *testing.T, hc *http.Client, url string, hdr ...string) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		require.NoError(t, err)
	}
	c := &client{resp: resp, events: make(chan sse.Event, 4096), done: make(chan struct{}), cancel: cancel}
	t.Cleanup(c.stop)
	if resp.StatusCode != http.StatusOK {
		close(c.done)
		return c
	}
	go c.read()
	return c
}

func (c *client) read() {
	defer close(c.done)
	p := sse.NewParser(io.TeeReader(c.resp.Body, (*lockedWriter)(c)), 0)
	for {
		ev, err := p.Next()
		if err != nil {
			c.err = err
			return
		}
		c.events <- ev
	}
}

type lockedWriter client

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.raw.Write(b)
}

func (c *client) rawString() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw.String()
}

// stop disconnects and waits for the reader to end.
func (c *client) stop() {
	c.cancel()
	_ = c.resp.Body.Close()
	<-c.done
}

// next returns the next event; the stream must not end first.
func (c *client) next(t *testing.T) sse.Event {
	t.Helper()
	select {
	case ev := <-c.events:
		return ev
	case <-c.done:
		select {
		case ev := <-c.events:
			return ev
		default:
		}
		require.FailNow(t, "stream ended", "err: %v", c.err)
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for an event")
	}
	panic("unreachable")
}

// message returns the data of the next event, which must be a message.
func (c *client) message(t *testing.T) string {
	t.Helper()
	ev := c.next(t)
	require.Equal(t, "message", ev.Type, "data %q", ev.Data)
	return string(ev.Data)
}

// token reads the crossws-id event (after the hello of a resumable
// stream) and returns its token.
func (c *client) token(t *testing.T) string {
	t.Helper()
	ev := c.next(t)
	if ev.Type == "anyws" {
		ev = c.next(t)
	}
	require.Equal(t, "crossws-id", ev.Type)
	require.Equal(t, c.resp.Header.Get("X-Crossws-Id"), string(ev.Data))
	return string(ev.Data)
}

// cut waits for the stream to end, cleanly or not, with no event left.
func (c *client) cut(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for the stream to end")
	}
	require.Error(t, c.err)
	select {
	case ev := <-c.events:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

// ended waits for the stream to end cleanly (EOF) with no event left.
func (c *client) ended(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for the stream to end")
	}
	require.ErrorIs(t, c.err, io.EOF)
	select {
	case ev := <-c.events:
		require.FailNow(t, "unexpected event", "%+v", ev)
	default:
	}
}

// post sends one uplink POST and returns the status and body.
func post(t *testing.T, hc *http.Client, url, token, contentType string, body []byte, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("X-Crossws-Id", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// streamPost is an uplink POST whose body is written while it runs.
type streamPost struct {
	w    *io.PipeWriter
	resp chan *http.Response
	err  chan error
}

func startPost(t *testing.T, hc *http.Client, url, token, contentType string) *streamPost {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	require.NoError(t, err)
	req.Header.Set("X-Crossws-Id", token)
	req.Header.Set("Content-Type", contentType)
	sp := &streamPost{w: pw, resp: make(chan *http.Response, 1), err: make(chan error, 1)}
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			_ = pr.CloseWithError(err)
			sp.err <- err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		sp.resp <- resp
	}()
	t.Cleanup(func() { _ = pw.CloseWithError(io.ErrClosedPipe) })
	return sp
}

func (sp *streamPost) write(t *testing.T, s string) {
	t.Helper()
	_, err := io.WriteString(sp.w, s)
	require.NoError(t, err)
}

// finish ends the body and returns the response status and body.
func (sp *streamPost) finish(t *testing.T) (int, string) {
	t.Helper()
	require.NoError(t, sp.w.Close())
	return sp.response(t)
}

func (sp *streamPost) response(t *testing.T) (int, string) {
	t.Helper()
	select {
	case resp := <-sp.resp:
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	case err := <-sp.err:
		require.NoError(t, err)
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for the POST's response")
	}
	panic("unreachable")
}

func sorted(h http.Header, key string) string { return strings.Join(h.Values(key), ",") }
