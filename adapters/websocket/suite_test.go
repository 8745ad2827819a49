package websocket_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/test/suite"
	"github.com/coder/websocket"
)

// transport is the WebSocket mode of the shared behaviour suite.
var transport = suite.Transport{
	Name: "websocket",
	Serve: func(t testing.TB, hub *anyws.Hub) string {
		srv := httptest.NewServer(wsadapter.New(hub, nil))
		t.Cleanup(srv.Close)
		return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	},
	Dial: func(ctx context.Context, t testing.TB, url string) (suite.Client, error) {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(-1)
		return c, nil
	},
	CloseCodes:       true,
	ClientCloseCodes: true,
}

func TestSuite(t *testing.T) {
	t.Parallel()
	suite.Run(t, transport)
}
