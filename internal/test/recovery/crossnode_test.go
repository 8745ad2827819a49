package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/client"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/anyws/anyws/pubsub/redis"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestAcrossNodesThroughCuts: three nodes share a broker that keeps
// history (in memory, Redis Streams, NATS JetStream); a balancer without
// sticky sessions sends each connection to the next node and cuts every
// connection every 50-500 ms, so each reconnect lands on another node.
// Clients over WebSocket (client.Dial) and SSE + POST (websocketsse)
// receive every message published from the three nodes exactly once, in
// order, keep their peer (same ID, moved from node to node), and their
// numbered messages reach the Message hook exactly once, in order.
func TestAcrossNodesThroughCuts(t *testing.T) {
	// Not parallel with the others: each keeps both cores busy, and a
	// fault run must hold on a loaded machine, not compete with itself.
	dumpOnFailure(t)
	for _, bc := range historyBrokers() {
		t.Run(bc.name, func(t *testing.T) { acrossNodesThroughCuts(t, bc.broker(t), false) })
	}
}

// TestKilledNodeThroughCuts is TestAcrossNodesThroughCuts with one of
// the three nodes killed halfway through the publishes: it leaves the
// broker at once (as kill -9 makes it: no goodbye, nothing deleted),
// takes no new connection, and its connections are cut. Its clients
// come back to the other nodes, which rebuild their peers from the
// records in the broker and the clients' marks: every client still
// receives every message exactly once, in order, and keeps its peer
// (the Open hook runs again for a recovered one, with the same id).
// The uplink is at most once across the death (what the dead node had
// not acknowledged is dropped by the client), in order.
func TestKilledNodeThroughCuts(t *testing.T) {
	dumpOnFailure(t)
	for _, bc := range historyBrokers() {
		t.Run(bc.name, func(t *testing.T) { acrossNodesThroughCuts(t, bc.broker(t), true) })
	}
}

type historyBroker struct {
	name   string
	broker func(t *testing.T) func(node int) pubsub.Broker
}

// historyBrokers are the brokers that keep history, each a constructor
// of one bus's brokers.
func historyBrokers() []historyBroker {
	// History keeps the whole run: the test is about moves, not about a
	// history too short for a client that lags (on a loaded machine a
	// client can fall tens of thousands of messages behind, more than
	// the default 1 MiB keeps on JetStream, which counts its overhead).
	limits := &pubsub.HistoryLimits{Count: 4 * messages, Bytes: -1, Age: -1}
	return []historyBroker{
		{"memory", func(t *testing.T) func(int) pubsub.Broker {
			bus := pubsub.NewMemoryHistory(limits)
			return func(int) pubsub.Broker { return bus.Broker() }
		}},
		{"redis", func(t *testing.T) func(int) pubsub.Broker {
			srv := testservers.Redis(t)
			prefix := fmt.Sprintf("crossnode%d:", time.Now().UnixNano())
			return func(int) pubsub.Broker {
				b, err := redis.NewHistory(&redis.Options{URL: srv.URL(), Prefix: prefix}, limits)
				require.NoError(t, err)
				return b
			}
		}},
		{"nats", func(t *testing.T) func(int) pubsub.Broker {
			srv := testservers.NATS(t)
			prefix := fmt.Sprintf("crossnode%d", time.Now().UnixNano())
			return func(int) pubsub.Broker {
				b, err := nats.NewHistory(&nats.Options{URL: srv.URL(), Prefix: prefix}, limits, &nats.HistoryOptions{Memory: true})
				require.NoError(t, err)
				return b
			}
		}},
	}
}

// peerIDs matches the peer ids in error messages.
var peerIDs = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`)

// acrossNodesThroughCuts runs three nodes on broker behind a balancer
// that cuts connections; kill: node 2 dies halfway.
func acrossNodesThroughCuts(t *testing.T, broker func(node int) pubsub.Broker, kill bool) {
	var mu sync.Mutex
	got := make(map[string][]string) // uplink messages by peer id, on any node
	opens, moves, resumes, recovered, mended := 0, 0, 0, 0, 0
	var hubErrs []string
	hooks := anyws.Hooks{
		Open: func(p *anyws.Peer) {
			mu.Lock()
			rs := p.ResumeStatus()
			again := rs.Recovered
			if rs.Attempted && !rs.Resumed {
				// A client that got a new peer: the run will fail, and
				// the log says why.
				hubErrs = append(hubErrs, fmt.Sprintf("peer %s: claim failed: %s", p.ID(), rs.Reason))
			}
			if again {
				recovered++
			} else {
				opens++
			}
			mu.Unlock()
			p.Subscribe("numbers")
			if !again {
				_ = p.Send("0") // a recovered peer's client had it
			}
		},
		Resume: func(p *anyws.Peer) {
			mu.Lock()
			resumes++
			if p.ResumeStatus().Mended {
				mended++ // it missed more than was kept: from the history
			}
			mu.Unlock()
		},
		Close: func(p *anyws.Peer, info anyws.CloseInfo) {
			if info.Moved {
				mu.Lock()
				moves++
				mu.Unlock()
			}
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			mu.Lock()
			got[p.ID()] = append(got[p.ID()], m.Text())
			mu.Unlock()
		},
		// What the nodes report beyond a peer's own connection (a move
		// that failed halfway, a queue that overflowed) is logged if the
		// run fails: it says why a client was not resumed.
		Error: func(p *anyws.Peer, err error) {
			if p != nil && !errors.Is(err, anyws.ErrQueueFull) {
				return // a peer's connection failing: the cuts
			}
			mu.Lock()
			hubErrs = append(hubErrs, err.Error())
			mu.Unlock()
		},
	}
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			// Each kind once, with its count (a dead node's failed
			// record saves would hide the rest).
			counts := map[string]int{}
			var kinds []string
			for _, e := range hubErrs {
				k := peerIDs.ReplaceAllString(e, "<id>")
				if counts[k] == 0 {
					kinds = append(kinds, k)
				}
				counts[k]++
			}
			for _, k := range kinds[:min(len(kinds), 20)] {
				t.Logf("node error (%d times): %s", counts[k], k)
			}
			t.Logf("%d node errors in all", len(hubErrs))
		}
	})
	var hubs []*anyws.Hub
	var brokers []pubsub.Broker
	var targets []string
	const doomed = 2
	// A killed node's port stays bound, every connection to it aborted:
	// closing its listener let another test's server take the port, and
	// the balancer, which keeps dialing it, sent clients there.
	var unreachable [3]atomic.Bool
	for i := range 3 {
		b := broker(i)
		claims := failedClaims{node: fmt.Sprint("node-", i), report: func(s string) {
			mu.Lock()
			hubErrs = append(hubErrs, s)
			mu.Unlock()
		}}
		hub := anyws.New(hooks, &anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute, Logger: slog.New(claims)})
		handler := auto.New(hub, nil)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if unreachable[i].Load() {
				panic(http.ErrAbortHandler) // the connection is closed, nothing written
			}
			handler.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		defer func() {
			err := hub.Close()
			if !kill || i != doomed {
				require.NoError(t, err) // the dead node's broker was closed already
			}
		}()
		hubs, brokers = append(hubs, hub), append(brokers, b)
		targets = append(targets, srv.Listener.Addr().String())
	}
	proxy, err := faultproxy.StartBalancer(targets...)
	require.NoError(t, err)
	defer func() { require.NoError(t, proxy.Close()) }()
	url := "http://" + proxy.Addr() + "/"

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	type conn interface {
		reader
		Write(ctx context.Context, typ websocket.MessageType, p []byte) error
		CloseNow() error
	}
	var clients []conn
	for i := range subscribers {
		var c conn
		if i%2 == 0 {
			wc, _, err := client.Dial(ctx, url, &client.Options{
				Transport: client.TransportWebSocket,
				Reconnect: websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
			})
			require.NoError(t, err)
			c = wc
		} else {
			hc := &http.Client{Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			sc, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
				HTTPClient: hc,
				Uplink:     websocketsse.UplinkPerMessage,
				Reconnect:  websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
			})
			require.NoError(t, err)
			c = sc
		}
		defer c.CloseNow()
		_, first, err := c.Read(ctx)
		require.NoError(t, err, "client %d: the Open hook's message", i)
		require.Equal(t, "0", string(first))
		clients = append(clients, c)
	}

	proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
	errs := make(chan error, 2*subscribers)
	for i, c := range clients {
		go func() { errs <- readNumbers(ctx, c, messages) }()
		if i < senders {
			go func() {
				for n := 1; n <= sends; n++ {
					if err := c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(n))); err != nil {
						errs <- fmt.Errorf("client %d: writing %d: %w", i, n, err)
						return
					}
					if n%10 == 0 {
						time.Sleep(5 * time.Millisecond)
					}
				}
				errs <- nil
			}()
		}
	}
	dead := -1
	for n := 1; n <= messages; n++ {
		if kill && n == messages/2 {
			// Node 2 dies: off the broker first (no answer to a claim,
			// no record deleted), then unreachable, its connections cut.
			require.NoError(t, brokers[doomed].Close())
			unreachable[doomed].Store(true)
			proxy.Cut()
			dead = doomed
			t.Logf("node-%d killed after %d publishes", doomed, n-1)
		}
		// PublishWait: publishes from different nodes are ordered as
		// their calls (Publish alone may be stored in another order).
		from := n % 3
		if from == dead {
			from = (from + 1) % 3
		}
		_, err := hubs[from].PublishWait(ctx, "numbers", strconv.Itoa(n))
		require.NoError(t, err)
		if n%10 == 0 {
			time.Sleep(5 * time.Millisecond) // spread the run over several cuts
		}
		if n%10_000 == 0 {
			t.Logf("%d published, %d cuts so far", n, proxy.Cuts())
		}
	}
	for range subscribers + senders {
		require.NoError(t, <-errs)
	}
	if kill {
		requireUplinkAtMostOnce(t, &mu, got)
	} else {
		requireUplinkOnce(t, &mu, got)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	require.Equal(t, subscribers, opens, "a client got a new peer instead of resuming its own")
	t.Logf("%d cuts, %d resumes of which %d on another node and %d mended from the history, %d recovered from the dead node, %d messages to %d subscribers, %d from %d senders", proxy.Cuts(), resumes, moves, mended, recovered, messages, subscribers, sends, senders)
	require.Positive(t, moves, "no peer moved to another node: the test tested nothing")
	if kill {
		require.Positive(t, recovered, "no peer was recovered from the dead node: the test tested nothing")
	} else {
		require.Zero(t, recovered)
	}
}
