package auto_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/suite"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// TestSuite runs the behaviour suite through the one handler, once per
// transport it dispatches to.
func TestSuite(t *testing.T) {
	t.Parallel()
	serve := func(t testing.TB, hub *anyws.Hub) string {
		srv := httptest.NewServer(auto.New(hub, nil))
		t.Cleanup(srv.Close)
		return srv.URL + "/"
	}
	transports := []suite.Transport{{
		Name:  "websocket",
		Serve: serve,
		Dial: func(ctx context.Context, _ testing.TB, url string) (suite.Client, error) {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), nil)
			if err != nil {
				return nil, err
			}
			c.SetReadLimit(-1)
			return c, nil
		},
		CloseCodes: true,
	}, {
		Name:  "sse+post",
		Serve: serve,
		Dial: func(ctx context.Context, _ testing.TB, url string) (suite.Client, error) {
			c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
				Uplink:    websocketsse.UplinkPerMessage,
				Reconnect: websocketsse.Reconnect{MaxAttempts: -1},
			})
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		CloseCodes: true,
	}}
	for _, tr := range transports {
		t.Run(tr.Name, func(t *testing.T) {
			t.Parallel()
			suite.Run(t, tr)
		})
	}
}
