package anyws_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
)

// Logging through log/slog: connections at Debug, shutdown at Info,
// with stable attribute keys (anyws.LogPeer, anyws.LogCloseCode, ...).
func ExampleOptions_logger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug, // Info: only shutdown, peers' errors, panics, broker failures
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == anyws.LogPeer {
				return slog.Attr{} // vary from run to run
			}
			return a
		},
	}))
	closed := make(chan struct{})
	hub := anyws.New(anyws.Hooks{
		Close: func(*anyws.Peer, anyws.CloseInfo) { close(closed) },
	}, &anyws.Options{Logger: logger})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/chat", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	_ = c.Close(websocket.StatusNormalClosure, "bye")
	<-closed
	_ = hub.Shutdown(ctx)
	// Output:
	// level=DEBUG msg="anyws: peer opened" transport=websocket namespace=/chat remote_addr=127.0.0.1
	// level=DEBUG msg="anyws: peer closed" transport=websocket namespace=/chat remote_addr=127.0.0.1 close_code=1000 reason=bye
	// level=INFO msg="anyws: hub shutting down" peers=0
	// level=INFO msg="anyws: hub stopped"
}
