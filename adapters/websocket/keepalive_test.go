package websocket_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Idle peers whose clients answer pings stay open through many ping
// rounds: the pong may be read by the reader's idle wait or by
// coder/websocket's Read, and either answers the ping. (Cancelling a
// coder/websocket Ping on a pong the idle wait had read closed about one
// connection in twenty per round when the pong came before the ping's
// write had returned.)
func TestIdlePeersAnswerPings(t *testing.T) {
	t.Parallel()
	url, hub, closes := serveWS(t, anyws.Hooks{}, &wsadapter.Options{
		PingInterval: 5 * time.Millisecond, PingTimeout: 10 * time.Second,
	})
	const clients, rounds = 12, 20 // serveWS holds 16 closes
	pings := make([]atomic.Int64, clients)
	for i := range clients {
		c, _ := dial(t, url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
			pings[i].Add(1)
			return true
		}})
		c.CloseRead(context.Background()) // answers pings
	}
	require.Eventually(t, func() bool { return hub.Stats().Peers == clients }, wait, time.Millisecond, "waiting for %d peers", clients)
	require.Eventually(t, func() bool {
		for i := range pings {
			if pings[i].Load() < rounds {
				return false
			}
		}
		return true
	}, wait, time.Millisecond, "waiting for %d pings to each client", rounds)
	select {
	case c := <-closes:
		t.Fatalf("a peer that answered pings was closed: %+v", c.info)
	default:
	}
	require.Equal(t, clients, hub.Stats().Peers)
}
