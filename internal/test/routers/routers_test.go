package routers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

// conn is what coder/websocket's Conn and websocketsse's Conn share.
type conn interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
	CloseNow() error
}

// transport dials url as user and returns the connection and the
// response to its handshake or stream GET.
type transport func(ctx context.Context, url, user string) (conn, *http.Response, error)

var transports = map[string]transport{
	"websocket": func(ctx context.Context, url, user string) (conn, *http.Response, error) {
		// Accept-Encoding as browsers send it: compressing middleware
		// wraps the writer only then.
		h := http.Header{"X-User": {user}, "Accept-Encoding": {"gzip, deflate"}}
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			return nil, resp, err
		}
		return c, resp, nil
	},
	"sse": sseTransport(websocketsse.UplinkPerMessage),
	// The framed streaming POST, over HTTP/1.1 chunked here.
	"sse-stream": sseTransport(websocketsse.UplinkStream),
}

func sseTransport(mode websocketsse.Uplink) transport {
	return func(ctx context.Context, url, user string) (conn, *http.Response, error) {
		c, resp, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
			HTTPHeader: http.Header{"X-User": {user}},
			Uplink:     mode,
		})
		if err != nil {
			return nil, resp, err
		}
		return c, resp, nil
	}
}

type router struct {
	mount     func(*anyws.Hub) http.Handler
	prefix    string // where the rooms are mounted
	requestID bool   // the router's middleware sets X-Request-Id on every response
}

var routers = map[string]router{
	"servemux": {mount: mountServeMux, prefix: "/rooms/"},
	"chi":      {mount: mountChi, prefix: "/chat/rooms/"},
	"gin":      {mount: mountGin, prefix: "/chat/rooms/"},
	"echo":     {mount: mountEcho, prefix: "/chat/rooms/", requestID: true},
}

// TestRouters runs every transport through every router: the handshake
// or stream, a value the router's middleware stored and a path parameter
// reaching the hooks, the uplink, and namespaces (rooms) that keep their
// messages to themselves.
func TestRouters(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	for rname, rt := range routers {
		t.Run(rname, func(t *testing.T) {
			t.Parallel()
			hub := anyws.New(chatHooks(), nil)
			srv := httptest.NewServer(rt.mount(hub))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { _ = hub.Close() })

			t.Run("unauthorized", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				for tname, dial := range transports {
					_, resp, err := dial(ctx, srv.URL+rt.prefix+"x", "")
					require.Error(t, err, tname)
					require.NotNil(t, resp, "%s: %v", tname, err)
					require.Equal(t, http.StatusUnauthorized, resp.StatusCode, tname)
				}
			})
			for tname, dial := range transports {
				t.Run(tname, func(t *testing.T) {
					t.Parallel()
					ctx, cancel := context.WithTimeout(context.Background(), wait)
					defer cancel()
					roomA, roomB := tname+"-a", tname+"-b"
					base := srv.URL + rt.prefix

					a1, resp, err := dial(ctx, base+roomA, "alice")
					require.NoError(t, err, "dialing over %s", tname)
					defer a1.CloseNow()
					if rt.requestID {
						require.NotEmpty(t, resp.Header.Get("X-Request-Id"), "the middleware's header in the response")
					}
					readText(ctx, t, a1, fmt.Sprintf("welcome alice to %s (%s)", roomA, rt.prefix+roomA))

					// The other peers are WebSocket ones: one Hub, every
					// transport.
					a2 := dialWS(ctx, t, base+roomA, "bob")
					readText(ctx, t, a2, fmt.Sprintf("welcome bob to %s (%s)", roomA, rt.prefix+roomA))
					b1 := dialWS(ctx, t, base+roomB, "carol")
					readText(ctx, t, b1, fmt.Sprintf("welcome carol to %s (%s)", roomB, rt.prefix+roomB))
					b2 := dialWS(ctx, t, base+roomB, "dave")
					readText(ctx, t, b2, fmt.Sprintf("welcome dave to %s (%s)", roomB, rt.prefix+roomB))

					// The uplink reaches the hooks; the publish reaches
					// alice's room only: carol's next message is dave's.
					for i := range 3 {
						msg := fmt.Sprintf("hello %d over %s", i, tname)
						require.NoError(t, a1.Write(ctx, websocket.MessageText, []byte(msg)), "uplink over %s", tname)
						readText(ctx, t, a2, msg)
					}
					require.NoError(t, b2.Write(ctx, websocket.MessageText, []byte("for room b")))
					readText(ctx, t, b1, "for room b")

					require.NoError(t, a2.Write(ctx, websocket.MessageText, []byte("downlink")))
					readText(ctx, t, a1, "downlink")
					require.NoError(t, a1.Close(websocket.StatusNormalClosure, "bye"))
				})
			}
		})
	}
}

func dialWS(ctx context.Context, t *testing.T, url, user string) conn {
	t.Helper()
	c, _, err := transports["websocket"](ctx, url, user)
	require.NoError(t, err, "dialing %s over WebSocket", url)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func readText(ctx context.Context, t *testing.T, c conn, want string) {
	t.Helper()
	typ, msg, err := c.Read(ctx)
	require.NoError(t, err, "waiting for %q", want)
	require.Equal(t, websocket.MessageText, typ)
	require.Equal(t, want, string(msg))
}
