package auto_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// crosswsBatch is the message list of crossws's chat-room benchmark
// client (bench/client.mjs, after Bun's chat-client.mjs): 20 short
// messages, 32 times, 640 per client per round.
var crosswsBatch = func() []string {
	words := []string{
		"Hello World!", "Hello World! 1", "Hello World! 2", "Hello World! 3", "Hello World! 4",
		"Hello World! 5", "Hello World! 6", "Hello World! 7", "Hello World! 8", "Hello World! 9",
		"What is the meaning of life?", "where is the bathroom?", "zoo", "kangaroo", "erlang",
		"elixir", "bun", "mochi", "typescript", "javascript",
	}
	var out []string
	for range 32 {
		out = append(out, words...)
	}
	return out
}()

// TestChatBurstsAtDefaults runs crossws's chat-room benchmark against a
// Hub and handler with default options: 32 clients in one room, each
// sending a burst of 640 short messages that the server echoes to the
// sender and publishes to the others, so each round queues 20,480
// messages for every peer. The benchmark's client sends every client's
// burst from one thread before it reads anything; the test takes the
// worst case of that: no client reads until the server has taken in the
// whole round, so every peer's queue holds nearly all of its 20,480
// messages (about 1.6 MB as QueueBytes counts them) at once. No client
// may be closed, and each gets every message. With the count bound of
// old (Options{QueueMessages: 4096}) the first round closes peers with
// 1013 "send queue full". One round is the worst case; each one after it
// is the same.
func TestChatBurstsAtDefaults(t *testing.T) {
	// Not parallel: it takes both cores for seconds, and the suite's
	// latency-bound cases would starve beside it on a 2-core machine.
	runChatBursts(t, nil, 32, 1)
}

// runChatBursts runs rounds of the crossws chat benchmark with clients
// WebSocket clients against a Hub made with opts.
func runChatBursts(t *testing.T, opts *anyws.Options, clients, rounds int) {
	perRound := int64(clients * len(crosswsBatch))
	var taken atomic.Int64
	roundTaken := make(chan struct{}, rounds)       // one per round the server took in whole
	closes := make(chan anyws.CloseInfo, 2*clients) // never blocks a Close hook
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("room")
			_ = p.Send("ready") // the benchmark client waits for a first message
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Send(m)            // echo to the sender
			_ = p.Publish("room", m) // and to everyone else
			if taken.Add(1)%perRound == 0 {
				roundTaken <- struct{}{}
			}
		},
		Close: func(_ *anyws.Peer, c anyws.CloseInfo) { closes <- c },
	}, opts)
	// Pings off: these clients read nothing while a round goes in, so
	// they cannot answer a ping (coder/websocket answers only inside
	// Read), and on a loaded machine a round can outlast PingInterval +
	// PingTimeout (40 s): the peer then closed with 1006 "ping timeout".
	// The benchmark's clients (Node's ws) answer pings whatever the
	// application reads. The queue defaults are what this test is about.
	srv := httptest.NewServer(auto.New(hub, &auto.Options{WebSocket: wsadapter.Options{PingInterval: -1}}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
		srv.Close()
	})

	// Generous: one round is 655,360 deliveries, slow under -race on a
	// loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/_ws"
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		c, _, err := websocket.Dial(ctx, url, nil)
		require.NoError(t, err, "client %d connects", i)
		defer c.CloseNow()
		require.Equal(t, "ready", readText(ctx, t, c), "client %d's first message", i)
		conns[i] = c
	}

	for round := 1; round <= rounds; round++ {
		// Every client sends its burst.
		var wg sync.WaitGroup
		sendErrs := make([]error, clients)
		for i, c := range conns {
			wg.Go(func() {
				for _, m := range crosswsBatch {
					if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
						sendErrs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		for i, err := range sendErrs {
			require.NoError(t, err, "round %d: client %d sends its burst", round, i)
		}
		select {
		case <-roundTaken:
		case c := <-closes:
			require.FailNow(t, "a peer closed while the server took in a round", "round %d: close %d %q", round, c.Code, c.Reason)
		case <-ctx.Done():
			require.FailNow(t, "timed out", "round %d: waiting for the server to take in %d messages (has %d)", round, perRound, taken.Load()-int64(round-1)*perRound)
		}

		// Now every client reads the whole fan-out of the round.
		got := make([]int64, clients)
		readErrs := make([]error, clients)
		for i, c := range conns {
			wg.Go(func() {
				for got[i] < perRound {
					if _, _, err := c.Read(ctx); err != nil {
						readErrs[i] = err
						return
					}
					got[i]++
				}
			})
		}
		wg.Wait()
		for i, err := range readErrs {
			if err != nil {
				require.FailNow(t, "a client was closed", "round %d: client %d, after %d of %d messages: close status %d: %v",
					round, i, got[i], perRound, websocket.CloseStatus(err), err)
			}
		}
	}
	select {
	case c := <-closes:
		require.FailNow(t, "a peer closed during the benchmark", "close %d %q", c.Code, c.Reason)
	default:
	}
	for _, c := range conns {
		require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	}
	for range clients {
		select {
		case c := <-closes:
			require.Equal(t, anyws.StatusNormalClosure, c.Code, fmt.Sprintf("a peer's close: %q", c.Reason))
		case <-ctx.Done():
			require.FailNow(t, "timed out waiting for the peers' Close hooks")
		}
	}
}
