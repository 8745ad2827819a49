package websocketsse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/websocketsse"
	"github.com/stretchr/testify/require"
)

// TestMendAfterBuffersLost: a client that stopped reading while a
// burst was written into its connection's buffers loses all of it when
// the connection is cut, far more than its peer keeps (ReplayBytes
// here 1 KiB). Its claim's marks get it every message again from the
// topic's history, once, in order, and Mended says how (it failed at
// message 839 without mending).
func TestMendAfterBuffersLost(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(&pubsub.HistoryLimits{Count: 10_000, Bytes: -1})
	hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
		&anyws.Options{Broker: bus.Broker(), NodeID: "n", ReplayBytes: 1024})
	t.Cleanup(func() { _ = hub.Close() })
	url, hc, px := serveCuttable(t, sse.New(hub, &sse.Options{Bidirectional: true}))

	ctx := ctxT(t)
	c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
		HTTPClient: hc, MaxQueuedMessages: 16,
	})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return len(hub.Peers()) == 1 }, 20e9, 1e6, "the peer opened")

	const n = 2000
	pad := strings.Repeat("x", 100)
	for i := 1; i <= n; i++ {
		_, err := hub.PublishWait(context.Background(), "news", fmt.Sprintf("%d %s", i, pad))
		require.NoError(t, err)
	}
	p := hub.Peers()[0]
	drain, cancel := context.WithTimeout(ctx, 10e9)
	defer cancel()
	_ = p.Drain(drain) // all of it written, into buffers the client does not read
	px.Cut()

	for i := 1; i <= n; i++ {
		_, b, err := c.Read(ctx)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, fmt.Sprintf("%d %s", i, pad), string(b), "each message once, in order")
	}
	// The cut ends the stream; if the proxy had passed everything on
	// before it (a race on a loaded machine), the client read it all
	// from its socket and resumes with nothing lost: then nothing was
	// mended (TestResumeMendedFromHistory covers the core
	// deterministically).
	require.Eventually(t, c.Resumed, 20e9, 1e6, "the client resumed its peer after the cut")
	if !c.Mended() {
		t.Log("the cut lost nothing the client had not read: nothing to mend this time")
	}
	require.Empty(t, c.Gaps())
}
