package websocketsse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/stretchr/testify/require"
)

// mode is one way of serving HTTP: the matrix every behaviour runs over.
type mode struct {
	name  string
	start func(t *testing.T, h http.Handler) (url string, client *http.Client)
	h2    bool
}

var modes = []mode{
	{name: "http1", start: startHTTP1},
	{name: "h2-tls", start: startH2TLS, h2: true},
	{name: "h2c", start: startH2C, h2: true},
}

func startHTTP1(t *testing.T, h http.Handler) (string, *http.Client) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

func startH2TLS(t *testing.T, h http.Handler) (string, *http.Client) {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, srv.Client()
}

func startH2C(t *testing.T, h http.Handler) (string, *http.Client) {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

// server is the project's bidirectional SSE adapter on a test server.
type server struct {
	hub    *anyws.Hub
	url    string
	client *http.Client
	peers  chan *anyws.Peer // each opened peer
	got    chan anyws.Message
}

// serveEcho serves a Hub whose peers echo every message back, and
// reports opened peers and received messages.
func serveEcho(t *testing.T, m mode, opts *sse.Options, wrap func(http.Handler) http.Handler) *server {
	return serveEchoHub(t, m, nil, opts, wrap)
}

// serveEchoHub is serveEcho with the Hub's options.
func serveEchoHub(t *testing.T, m mode, hubOpts *anyws.Options, opts *sse.Options, wrap func(http.Handler) http.Handler) *server {
	s := &server{peers: make(chan *anyws.Peer, 16), got: make(chan anyws.Message, 2048)}
	s.hub = anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { s.peers <- p },
		Message: func(p *anyws.Peer, msg anyws.Message) {
			s.got <- msg
			_ = p.Send(msg)
		},
	}, hubOpts)
	o := sse.Options{Bidirectional: true}
	if opts != nil {
		o = *opts
		o.Bidirectional = true
	}
	var h http.Handler = sse.New(s.hub, &o)
	if wrap != nil {
		h = wrap(h)
	}
	s.url, s.client = m.start(t, h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.hub.Shutdown(ctx))
	})
	return s
}

func (s *server) dial(t *testing.T, opts *websocketsse.DialOptions) *websocketsse.Conn {
	t.Helper()
	o := websocketsse.DialOptions{}
	if opts != nil {
		o = *opts
	}
	if o.HTTPClient == nil {
		o.HTTPClient = s.client
	}
	c, resp, err := websocketsse.Dial(ctxT(t), s.url, &o)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// ctxT is a context that bounds one test's waits.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}
