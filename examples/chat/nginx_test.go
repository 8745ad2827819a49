package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	chat "github.com/anyws/anyws/examples/chat"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// readmeNginx returns the nginx block of README.md: the test runs the
// configuration users copy.
func readmeNginx(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "```nginx\n")
	require.GreaterOrEqual(t, i, 0, "README.md has an nginx block")
	s = s[i+len("```nginx\n"):]
	j := strings.Index(s, "```")
	require.GreaterOrEqual(t, j, 0)
	return s[:j]
}

// TestNginx puts Debian's nginx, configured with the README's block, in
// front of the chat, and talks through it the way a browser on the
// proxy's origin does: a WebSocket, SSE streams whose first event
// arrives while the stream is open (nothing buffers them), one POST per
// message, and the framed streaming POST (HTTP/1.1 chunked).
func TestNginx(t *testing.T) {
	t.Parallel()
	block := readmeNginx(t)
	for _, trustProxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("trust-proxy=%v", trustProxy), func(t *testing.T) {
			t.Parallel()
			hub := chat.NewHub()
			backend := httptest.NewServer(chat.NewHandler(hub, false, trustProxy))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				require.NoError(t, hub.Shutdown(ctx))
				backend.Close()
			})
			ngx := testservers.Nginx(t, func(port int) string {
				conf := strings.Replace(block, "listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", port), 1)
				return strings.Replace(conf, "http://127.0.0.1:3000", backend.URL, 1)
			})
			base := "http://" + ngx.Addr()
			origin := http.Header{"Origin": {base}} // a page served through the proxy

			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			ada, resp, err := websocket.Dial(ctx, "ws://"+ngx.Addr()+"/_ws?name=Ada", &websocket.DialOptions{HTTPHeader: origin})
			require.NoError(t, err, "the WebSocket upgrade through nginx")
			defer ada.CloseNow()
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			require.Equal(t, "welcome", next(ctx, t, ada).Type)

			for i, mode := range []websocketsse.Uplink{websocketsse.UplinkPerMessage, websocketsse.UplinkStream} {
				name := fmt.Sprintf("Bob%d", i)
				bob, resp, err := websocketsse.Dial(ctx, base+"/_ws?name="+name, &websocketsse.DialOptions{
					HTTPHeader: origin,
					Uplink:     mode,
					Reconnect:  websocketsse.Reconnect{MaxAttempts: -1},
				})
				require.NoError(t, err, "the SSE stream through nginx")
				require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
				// The welcome is the stream's first event; the stream
				// stays open, so it came through unbuffered.
				w := next(ctx, t, bob)
				require.Equal(t, "welcome", w.Type)
				require.Equal(t, "sse", w.You.Transport)
				j := next(ctx, t, ada)
				require.Equal(t, "join", j.Type, "Ada sees %s join", name)

				text := "hi over the " + mode.String() + " uplink"
				require.NoError(t, bob.Write(ctx, websocket.MessageText, []byte(text)), "the %s uplink through nginx", mode)
				for _, c := range []conn{ada, bob} {
					m := next(ctx, t, c)
					require.Equal(t, "message", m.Type)
					require.Equal(t, text, m.Text)
					require.Equal(t, name, m.From.Name)
				}
				require.NoError(t, ada.Write(ctx, websocket.MessageText, []byte("hi "+name)))
				for _, c := range []conn{ada, bob} {
					require.Equal(t, "hi "+name, next(ctx, t, c).Text, "a WebSocket message down the SSE stream")
				}
				require.NoError(t, bob.Close(websocket.StatusNormalClosure, ""))
				require.Equal(t, "leave", next(ctx, t, ada).Type)
			}

			// The origin check still refuses other pages, and the scheme
			// counts: an https page is not this http proxy's.
			for _, bad := range []string{"http://evil.example", "https://" + ngx.Addr()} {
				_, resp, err = websocket.Dial(ctx, "ws://"+ngx.Addr()+"/_ws", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {bad}}})
				require.Error(t, err, bad)
				require.Equal(t, http.StatusForbidden, resp.StatusCode, bad)
			}
		})
	}
}
