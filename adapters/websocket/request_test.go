package websocket_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// seenRequest is what the hooks saw of the handshake request.
type seenRequest struct {
	upgrade                 *http.Request // the Upgrade hook's
	peer                    *http.Request // Peer.Request, in the Open hook
	peerErr, peerCtxErr     error         // Peer.Request's context's Err and Peer.Context's, in Open
	peerValue, peerCtxValue any           // userKey's value in the two
	server, localAddr       any           // net/http's values in Peer.Request's context
}

type userKey struct{}

// serveSeen serves a Hub over wrap(the adapter) and reports what its
// hooks saw of each handshake request.
func serveSeen(t *testing.T, wrap func(http.Handler) http.Handler, srvHook func(*http.Server)) (string, chan seenRequest) {
	t.Helper()
	seen := make(chan seenRequest, 1)
	var up *http.Request
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { up = u.Request; return nil },
		Open: func(p *anyws.Peer) {
			r := p.Request()
			seen <- seenRequest{
				upgrade: up, peer: r,
				peerErr: r.Context().Err(), peerCtxErr: p.Context().Err(),
				peerValue: r.Context().Value(userKey{}), peerCtxValue: p.Context().Value(userKey{}),
				server: r.Context().Value(http.ServerContextKey), localAddr: r.Context().Value(http.LocalAddrContextKey),
			}
		},
	}, nil)
	srv := httptest.NewUnstartedServer(wrap(wsadapter.New(hub, nil)))
	if srvHook != nil {
		srvHook(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), seen
}

// Peer.Request is the handshake request as the Upgrade hook saw it
// (method, URL, headers, addresses), with its context ended: after the
// hijack the handler returns, and net/http ends the request's context.
// When net/http's context held nothing but its own values, the peer
// keeps a copy of the request over a context with those values only
// (request.go): its context is ended from the Open hook on, where it
// used to end only once the handler had returned (after Open).
func TestPeerRequestAfterHandshake(t *testing.T) {
	t.Parallel()
	url, seen := serveSeen(t, func(h http.Handler) http.Handler { return h }, nil)
	dial(t, url+"/chat?room=1", &websocket.DialOptions{HTTPHeader: http.Header{"X-Test": {"yes"}}})
	s := <-seen
	require.NotSame(t, s.upgrade, s.peer, "the peer keeps a copy of the request")
	r := s.peer
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/chat", r.URL.Path)
	require.Equal(t, "room=1", r.URL.RawQuery)
	require.Equal(t, "yes", r.Header.Get("X-Test"))
	require.NotEmpty(t, r.Header.Get("Sec-WebSocket-Key"), "handshake headers are kept")
	require.Equal(t, s.upgrade.Host, r.Host)
	require.Equal(t, s.upgrade.RemoteAddr, r.RemoteAddr)
	require.Equal(t, "HTTP/1.1", r.Proto)
	require.ErrorIs(t, s.peerErr, context.Canceled, "Peer.Request's context has ended")
	require.ErrorIs(t, context.Cause(r.Context()), context.Canceled)
	require.NoError(t, s.peerCtxErr, "Peer.Context lives on")
	require.IsType(t, &http.Server{}, s.server)
	la, ok := s.localAddr.(net.Addr)
	require.True(t, ok, "%T", s.localAddr)
	require.Contains(t, url, la.String())
}

// A context holding values of the application's (set by a middleware,
// or by Server.BaseContext) is kept whole: Peer.Request's context and
// Peer.Context carry its values.
func TestPeerRequestKeepsValues(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		wrap    func(http.Handler) http.Handler
		srvHook func(*http.Server)
	}{
		"middleware": {wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "ann")))
			})
		}},
		"BaseContext": {wrap: func(h http.Handler) http.Handler { return h }, srvHook: func(s *http.Server) {
			s.BaseContext = func(net.Listener) context.Context { return context.WithValue(context.Background(), userKey{}, "ann") }
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, seen := serveSeen(t, tc.wrap, tc.srvHook)
			dial(t, url, nil)
			s := <-seen
			require.Equal(t, "ann", s.peerValue)
			require.Equal(t, "ann", s.peerCtxValue)
			require.IsType(t, &http.Server{}, s.server)
			require.NotNil(t, s.localAddr)
			require.Equal(t, s.upgrade.Header, s.peer.Header)
		})
	}
}
