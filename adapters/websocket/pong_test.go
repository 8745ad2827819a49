package websocket_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/stretchr/testify/require"
)

// Pongs are answered while the server streams batches (issue 16: they
// used to wait behind the open batch). The latency is logged, not
// asserted: a shared CPU makes any bound flaky.
func TestPongWhileStreaming(t *testing.T) {
	t.Parallel()
	url, _, closes := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) { go streamBig(p) },
	}, &wsadapter.Options{DisableCompression: true})
	c, _ := dial(t, url, nil)
	c.SetReadLimit(-1)
	// 50 round trips, each behind a batch of large frames: under -race
	// on a loaded 2-core machine they took 18-20 s of wait's 20 once,
	// where an idle machine takes milliseconds. The bound is for a pong
	// that never comes, not for speed.
	ctx, cancel := context.WithTimeout(context.Background(), 4*wait)
	defer cancel()
	readCtx, stopReading := context.WithCancel(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			if _, _, err := c.Read(readCtx); err != nil {
				return
			}
		}
	}()
	var rtt []time.Duration
	for i := range 50 {
		start := time.Now()
		require.NoError(t, c.Ping(ctx), "ping %d of 50 while the server streams", i+1)
		rtt = append(rtt, time.Since(start))
	}
	slices.Sort(rtt)
	t.Logf("pong round trip while streaming: p50 %v, p90 %v, max %v", rtt[len(rtt)/2], rtt[len(rtt)*9/10], rtt[len(rtt)-1])
	stopReading()
	<-read
	waitClose(t, closes)
}

// streamBig queues large bursts, so batches are large.
func streamBig(p *anyws.Peer) {
	msg := strings.Repeat("z", 16<<10)
	for {
		for range 32 {
			if p.Send(msg) != nil {
				return
			}
		}
		if p.Drain(p.Context()) != nil {
			return
		}
	}
}
