package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/client"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

// server is an anyws echo server behind front, which may play a proxy.
type server struct {
	url     string
	streams atomic.Int32 // SSE stream GETs that reached the server
}

func serve(t *testing.T, hooks anyws.Hooks, front func(http.Handler) http.Handler) *server {
	t.Helper()
	s := &server{}
	if hooks.Message == nil {
		hooks.Message = func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }
	}
	hub := anyws.New(hooks, nil)
	var h http.Handler = auto.New(hub, nil)
	count := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			s.streams.Add(1)
		}
		count.ServeHTTP(w, r)
	})
	if front != nil {
		h = front(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	s.url = srv.URL + "/_ws"
	return s
}

func echo(ctx context.Context, t *testing.T, c *client.Conn) {
	t.Helper()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("ping")))
	typ, msg, err := c.Read(ctx)
	require.NoError(t, err, "reading the echo over %s", c.Transport())
	require.Equal(t, websocket.MessageText, typ)
	require.Equal(t, "ping", string(msg))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

func TestWebSocketFirst(t *testing.T) {
	t.Parallel()
	s := serve(t, anyws.Hooks{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := client.Dial(ctx, s.url, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(t, client.TransportWebSocket, c.Transport())
	require.NoError(t, c.WebSocketError())
	require.NotNil(t, c.WebSocket())
	require.Nil(t, c.SSE())
	echo(ctx, t, c)
	require.Zero(t, s.streams.Load(), "no SSE stream was opened")
}

// noUpgrades is a proxy that does not forward upgrades: it drops the
// Upgrade header, as many do, so the server sees a plain GET.
func noUpgrades(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Upgrade")
		r.Header.Del("Connection")
		next.ServeHTTP(w, r)
	})
}

// badGateway is a proxy that answers upgrades itself with 502.
func badGateway(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			http.Error(w, "proxy: upgrades not supported", http.StatusBadGateway)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestFallsBackToSSE(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		front  func(http.Handler) http.Handler
		status int
	}{
		"upgrade stripped": {noUpgrades, http.StatusNotAcceptable},
		"proxy answers":    {badGateway, http.StatusBadGateway},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, anyws.Hooks{}, tc.front)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			c, resp, err := client.Dial(ctx, s.url, nil)
			require.NoError(t, err)
			defer c.CloseNow()
			require.Equal(t, http.StatusOK, resp.StatusCode, "the SSE stream's response")
			require.Equal(t, client.TransportSSE, c.Transport())
			var he *client.HandshakeError
			require.ErrorAs(t, c.WebSocketError(), &he, "why WebSocket was not used")
			require.Equal(t, tc.status, he.StatusCode)
			require.NotNil(t, c.SSE())
			echo(ctx, t, c)
		})
	}
}

// A handshake the server refuses with 401 or 403 is not retried over
// SSE, which the same Upgrade hook or origin check would refuse: Dial
// returns the status.
func TestNoFallbackOnRefusal(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			s := serve(t, anyws.Hooks{
				Upgrade: func(u *anyws.Handshake) error { return anyws.Reject(status, "no") },
			}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			c, resp, err := client.Dial(ctx, s.url, nil)
			require.Error(t, err)
			require.Nil(t, c)
			var he *client.HandshakeError
			require.ErrorAs(t, err, &he)
			require.Equal(t, status, he.StatusCode)
			require.Equal(t, status, resp.StatusCode)
			require.Zero(t, s.streams.Load(), "no SSE attempt after a refusal")
		})
	}
}

// A proxy that holds the upgrade gets Options.WebSocketTimeout, then
// Dial falls back.
func TestWebSocketTimeout(t *testing.T) {
	t.Parallel()
	hold := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				<-r.Context().Done() // until the client gives up
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := serve(t, anyws.Hooks{}, hold)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, s.url, &client.Options{WebSocketTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, client.TransportSSE, c.Transport())
	require.ErrorIs(t, c.WebSocketError(), context.DeadlineExceeded)
	echo(ctx, t, c)
}

func TestForcedTransport(t *testing.T) {
	t.Parallel()
	s := serve(t, anyws.Hooks{}, noUpgrades)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	c, _, err := client.Dial(ctx, s.url, &client.Options{Transport: client.TransportSSE, HTTPHeader: http.Header{"X-Test": {"1"}}})
	require.NoError(t, err)
	require.Equal(t, client.TransportSSE, c.Transport())
	require.NoError(t, c.WebSocketError(), "WebSocket was not tried")
	echo(ctx, t, c)

	_, _, err = client.Dial(ctx, s.url, &client.Options{Transport: client.TransportWebSocket})
	var he *client.HandshakeError
	require.ErrorAs(t, err, &he, "no fallback when WebSocket is forced")

	_, _, err = client.Dial(ctx, s.url, &client.Options{Transport: "carrier-pigeon"})
	require.ErrorContains(t, err, "unknown transport")
}

// When both transports fail, the error says why each did.
func TestBothFail(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := client.Dial(ctx, srv.URL, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "WebSocket failed")
	require.Contains(t, err.Error(), "SSE failed")
	var he *client.HandshakeError
	require.True(t, errors.As(err, &he) == false, "the SSE error is the one wrapped")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
