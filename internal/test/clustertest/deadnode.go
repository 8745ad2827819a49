package clustertest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// testDeadNode kills the node holding a bidirectional SSE client's
// stream while the client posts through another node. The other node
// answers 502 (not delivered, retryable), never 404 ("open a new event
// stream", which a broker reconnect must not say about a live stream);
// the client's Write fails promptly and its Read reports the loss once
// its reconnect policy gives up.
func testDeadNode(t *testing.T, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	a, b := NewNode(t, cfg.NewBroker(), ""), NewNode(t, cfg.NewBroker(), "")
	bu, err := url.Parse(b.URL)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	conn, resp, err := websocketsse.Dial(ctx, a.URL+"/sse", &websocketsse.DialOptions{
		HTTPClient: &http.Client{Transport: &reroute{base: tr, others: []*url.URL{bu}}},
		Uplink:     websocketsse.UplinkPerMessage,
		Reconnect:  websocketsse.Reconnect{MaxAttempts: 2, InitialDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	recv(t, a.Opened, "Open on A")
	require.NoError(t, conn.Write(ctx, ws.MessageText, []byte("before")))
	require.Equal(t, "before", recv(t, a.Msgs, "the message on A").Text())
	tok := resp.Header.Get("X-Crossws-Id")

	a.Kill()
	_, _, err = conn.Read(ctx)
	require.Error(t, err, "the stream of a dead node cannot deliver")
	require.False(t, errors.Is(err, context.DeadlineExceeded), "Read waited for its context: %v", err)
	err = conn.Write(ctx, ws.MessageText, []byte("after"))
	require.Error(t, err, "a Write to a dead node's stream cannot succeed")
	require.False(t, errors.Is(err, context.DeadlineExceeded), "Write waited for its context: %v", err)
	// A POST in flight when the node died may get 504 (delivery
	// unknown); by now the node is off the bus.
	require.Equal(t, http.StatusBadGateway, post(t, b.URL+"/sse", tok, []byte("after")),
		"a POST for a dead node's stream is not delivered, and says so with 502, not 404")
	require.Empty(t, a.Msgs, "nothing delivered after the kill")
}
