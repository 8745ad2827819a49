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

// TestStalledH2StreamsDoNotHoldUpOthers: over HTTP/2 a peer's writes run
// on the Hub's writer pool (a few goroutines, anyws.PooledConn). Clients
// that stop reading close their streams' flow-control windows, and a
// write to them blocks until its deadline (a minute here): more of them
// than the pool has workers must not hold up the readers, which get
// every message, in order, while the stalled writes still block. The
// pool starts a worker when links wait and no worker finished one for a
// few milliseconds; without that, the readers would wait for the
// deadline.
func TestStalledH2StreamsDoNotHoldUpOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		mode: h2c,
		hub:  &anyws.Options{QueueBytes: 64 << 20, ResumeWindow: -1},
		opts: &adapter.Options{Retry: -1, WriteTimeout: time.Minute},
	})
	e.rec.onOpen = func(p *anyws.Peer) { p.Subscribe("t") }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stalled, readers = 6, 3
	for range stalled {
		req, err := http.NewRequestWithContext(ctx, "GET", e.url, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close() // never read
		e.rec.peer(t)
	}
	var rs []*client
	for range readers {
		rs = append(rs, open(t, e.client, e.url))
		e.rec.peer(t)
	}
	// 96 messages of 64 KiB: 6 MiB, past the 4 MiB window Go's client
	// gives each stream, so every stalled stream's writer blocks.
	pad := strings.Repeat("x", 64<<10)
	const n = 96
	for i := range n {
		require.NoError(t, e.hub.Publish("t", fmt.Sprint(i, pad)))
		for _, r := range rs {
			require.Equal(t, fmt.Sprint(i, pad), r.message(t), "reader's message %d", i)
		}
	}
	require.NoError(t, e.hub.Publish("t", "after"))
	for _, r := range rs {
		require.Equal(t, "after", r.message(t))
	}
	require.Zero(t, e.rec.closes.Load(), "no stream was closed: the stalled ones still block")
}
