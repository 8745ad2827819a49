package websocket_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/stretchr/testify/require"
)

// Routers wrap the ResponseWriter: gin holds the status back until
// WriteHeaderNow, echo's Gzip middleware holds it back until the body.
// The handshake's 101 must reach the client all the same, before any
// frame, and the peer must work both ways.
func TestUnderRouters(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	routers := map[string]func(http.Handler) http.Handler{
		"gin": func(h http.Handler) http.Handler {
			r := gin.New()
			r.Use(gin.Recovery())
			r.GET("/ws", gin.WrapH(h))
			return r
		},
		"echo-gzip": func(h http.Handler) http.Handler {
			e := echo.New()
			e.Use(middleware.Recover(), middleware.Gzip())
			e.GET("/ws", echo.WrapHandler(h))
			return e
		},
	}
	for name, mount := range routers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			closes := make(chan closed, 4)
			hub := anyws.New(anyws.Hooks{
				Open:    func(p *anyws.Peer) { _ = p.Send("welcome") },
				Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
				Close:   func(p *anyws.Peer, c anyws.CloseInfo) { closes <- closed{p, c} },
			}, nil)
			srv := httptest.NewServer(mount(wsadapter.New(hub, nil)))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { _ = hub.Close() })

			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			// Browsers send Accept-Encoding on upgrades; echo's Gzip
			// middleware wraps the writer only then.
			h := http.Header{"Accept-Encoding": {"gzip, deflate"}}
			c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
			require.NoError(t, err, "the handshake under %s", name)
			defer c.CloseNow()
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			_, msg, err := c.Read(ctx)
			require.NoError(t, err, "reading the welcome message")
			require.Equal(t, "welcome", string(msg))
			require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("ping")))
			_, msg, err = c.Read(ctx)
			require.NoError(t, err, "reading the echo")
			require.Equal(t, "ping", string(msg))
			require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
			require.Equal(t, anyws.StatusNormalClosure, waitClose(t, closes).info.Code)
		})
	}
}
