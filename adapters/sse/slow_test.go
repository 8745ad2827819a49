package sse_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestSlowConsumer: a client that stops reading is closed by the
// overflow policy while a reading client on the same topic receives
// every message, in order.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{hub: &anyws.Options{QueueBytes: 64 << 10, ResumeWindow: -1}, opts: &adapter.Options{Retry: -1}})
	e.rec.onOpen = func(p *anyws.Peer) { p.Subscribe("t") }
	// The stalled client's write blocks until the overflow counts it as
	// stuck (3 s, link_overflow.go) and aborts it with 1013. Its write
	// deadline must not come first: a 200 ms WriteTimeout here ended the
	// write (1006 "write failed") before a loaded machine had published
	// the few messages that overflow the queue after the socket filled.
	slowSrv, slowClient := serve(t, adapter.New(e.hub, &adapter.Options{WriteTimeout: time.Minute}), h1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", slowSrv.URL+"/room", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := slowClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close() // never read
	slow := e.rec.peer(t)

	fast := open(t, e.client, e.url)
	e.rec.peer(t)

	pad := strings.Repeat("x", 8<<10)
	var slowClosed closeEvent
	sent := 0
	for i := 0; i < 20000; i++ {
		require.NoError(t, e.hub.Publish("t", fmt.Sprint(i, pad)))
		sent++
		// Read each message before the next publish: the reading
		// client never has more than one message in flight.
		require.Equal(t, fmt.Sprint(i, pad), fast.message(t))
		select {
		case slowClosed = <-e.rec.closed:
		default:
			continue
		}
		break
	}
	t.Logf("slow closed after %d messages: %v", sent, slowClosed.info)
	require.NotNil(t, slowClosed.p, "the slow client was not closed after %d messages", sent)
	require.Same(t, slow, slowClosed.p)
	require.Equal(t, anyws.StatusTryAgainLater, slowClosed.info.Code)
	require.Nil(t, e.hub.Peer(slow.ID()))

	// The reading client is unaffected.
	require.NoError(t, e.hub.Publish("t", "after"))
	require.Equal(t, "after", fast.message(t))
	require.Len(t, e.hub.Peers(), 1)
}
