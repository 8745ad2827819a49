package browsertest_test

import (
	"net/http"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// connected is what window.firstMessage returns.
type connected struct {
	Transport, Protocol, First string
	Fallback                   *struct{ Reason, Message string }
}

// TestClientProtocols (issue 12): WebSocket's (url, protocols) form
// offers the sub-protocols, as the options form does: the server's
// Upgrade hook sees them, picks the first, and ws.protocol says so. Over
// SSE no sub-protocol is carried. Before, new AnyWS(url, "proto") dropped
// the protocol.
func TestClientProtocols(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, args          string
		transport, protocol string
	}{
		{"string", `'/_ws', 'chat.v2'`, "websocket", "chat.v2"},
		{"array", `'/_ws', ['chat.v2', 'chat.v1']`, "websocket", "chat.v2"},
		{"string+options", `'/_ws', 'chat.v2', {minDelay: 100}`, "websocket", "chat.v2"},
		{"options", `'/_ws', {protocols: ['chat.v2']}`, "websocket", "chat.v2"},
		{"sse", `'/_ws', 'chat.v2', {transport: 'sse'}`, "sse", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := anyws.New(anyws.Hooks{
				Upgrade: func(u *anyws.Handshake) error {
					if len(u.Protocols) > 0 {
						u.Protocol = u.Protocols[0]
					}
					return nil
				},
				Open: func(p *anyws.Peer) { _ = p.Send("protocol " + p.Protocol()) },
			}, nil)
			t.Cleanup(func() { shutdown(t, hub) })
			srv := serve(t, mux(auto.New(hub, nil)), false)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var res connected
			browsertest.Eval(t, ctx, "firstMessage(["+tc.args+"])", &res)
			require.Equal(t, tc.transport, res.Transport)
			require.Equal(t, tc.protocol, res.Protocol, "ws.protocol")
			require.Equal(t, "protocol "+tc.protocol, res.First, "the protocol the server chose")
		})
	}
}

// TestClientFallbackReason (issue 12): ws.fallback says why the client is
// on SSE: null over WebSocket, "forced" for transport "sse", "failed" when
// the upgrade is refused, "timeout" when it never answers. Before, the
// application could not tell.
func TestClientFallbackReason(t *testing.T) {
	t.Parallel()
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if websocket.IsUpgrade(r) {
				<-r.Context().Done() // the browser gives up and closes the connection
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	tests := []struct {
		name      string
		opts      *auto.Options
		wrap      func(http.Handler) http.Handler
		client    string
		transport string
		reason    string // "" for no fallback
	}{
		{"websocket", nil, nil, `{}`, "websocket", ""},
		{"forced", nil, nil, `{transport: 'sse'}`, "sse", "forced"},
		{"refused", &auto.Options{DisableWebSocket: true}, nil, `{}`, "sse", "failed"},
		{"timeout", nil, hang, `{timeout: 1000}`, "sse", "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := echoHub(t, "welcome ")
			var h http.Handler = auto.New(hub, tc.opts)
			if tc.wrap != nil {
				h = tc.wrap(h)
			}
			srv := serve(t, mux(h), false)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var res connected
			browsertest.Eval(t, ctx, "firstMessage(['/_ws', "+tc.client+"])", &res)
			require.Equal(t, tc.transport, res.Transport)
			require.Equal(t, "welcome "+tc.transport, res.First)
			if tc.reason == "" {
				require.Nil(t, res.Fallback)
				return
			}
			require.NotNil(t, res.Fallback, "ws.fallback")
			require.Equal(t, tc.reason, res.Fallback.Reason)
			require.NotEmpty(t, res.Fallback.Message)
		})
	}
}
