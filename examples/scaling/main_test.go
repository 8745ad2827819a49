package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/testservers"
	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTwoNodes runs the example as documented: two nodes on one Redis, a
// WebSocket client on the first, an SSE client on the second.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rds := testservers.Redis(t)
	var urls []string
	for range 2 {
		hub, h, err := newNode(rds.URL(), t.Logf)
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(func() {
			_ = hub.Shutdown(context.Background())
			srv.Close()
		})
		urls = append(urls, srv.URL)
	}
	wsc, _, err := ws.Dial(ctx, strings.Replace(urls[0], "http", "ws", 1)+"/_ws", nil)
	require.NoError(t, err)
	defer wsc.CloseNow()
	ssec, _, err := websocketsse.Dial(ctx, urls[1]+"/_sse", nil)
	require.NoError(t, err)
	defer ssec.CloseNow()

	// Subscriptions reach Redis asynchronously: send until the other
	// node's client hears one (at most once: earlier ones may be lost).
	got := make(chan string, 1)
	go func() {
		for {
			_, b, err := ssec.Read(ctx)
			if err != nil {
				close(got)
				return
			}
			if string(b) == "hello from node 1" {
				got <- string(b)
				return
			}
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		require.NoError(t, wsc.Write(ctx, ws.MessageText, []byte("hello from node 1")))
		select {
		case m, ok := <-got:
			require.True(t, ok, "the SSE client's stream ended")
			require.Equal(t, "hello from node 1", m)
			_ = ssec.CloseNow()
			return
		case <-tick.C:
		case <-ctx.Done():
			require.FailNow(t, "the message never crossed nodes")
		}
	}
}
