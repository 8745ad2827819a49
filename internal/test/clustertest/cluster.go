// Package clustertest runs the multi-node scenarios against a broker:
// several Hubs, each behind its own httptest server, share one bus, and
// real WebSocket and SSE clients are spread over them. Start with [Run];
// the tests of each broker package call it.
package clustertest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// wait bounds every wait; generous for -race on a loaded machine, never
// a speed assertion.
const wait = 30 * time.Second

// Config is what one scenario needs from a broker's tests.
type Config struct {
	// NewBroker returns a new, unstarted broker; all of one Config's
	// brokers are on one bus.
	NewBroker func() pubsub.Broker
	// Server is the broker's server process, for the outage scenario;
	// nil skips it (the memory bus has no server).
	Server interface {
		Kill()
		Restart()
	}
	// ExpirePresence makes a killed node's presence entries due to
	// expire now (the memory bus's clock). nil: the brokers' presence
	// TTL is short and runs in real time.
	ExpirePresence func()
	// StartProcess, if not nil, starts a node in a process of its own
	// (StartProcessNode), which the presence scenario kills with
	// SIGKILL; nil: that node is in this process and Node.Kill
	// simulates its death.
	StartProcess func(t *testing.T, topic string) *ProcessNode
	// StartRecovering, if not nil, starts a node process whose peers
	// outlive their connections (StartRecoveringNode), which the
	// recovery scenario kills with SIGKILL; nil skips it.
	StartRecovering func(t *testing.T, topic string) *ProcessNode
}

// Run runs the scenarios, each on the Config newConfig returns for it;
// outage is true for the scenario that kills and restarts Config.Server.
func Run(t *testing.T, newConfig func(t *testing.T, outage bool) Config) {
	t.Run("FanOut", func(t *testing.T) { t.Parallel(); testFanOut(t, newConfig(t, false)) })
	t.Run("UplinkRouting", func(t *testing.T) { t.Parallel(); testUplinkRouting(t, newConfig(t, false)) })
	t.Run("DeadNode", func(t *testing.T) { t.Parallel(); testDeadNode(t, newConfig(t, false)) })
	t.Run("Presence", func(t *testing.T) { t.Parallel(); testPresence(t, newConfig(t, false)) })
	t.Run("KilledNodeRecovers", func(t *testing.T) { t.Parallel(); testKilledNodeRecovers(t, newConfig(t, false)) })
	t.Run("Outage", func(t *testing.T) {
		t.Parallel()
		cfg := newConfig(t, true)
		if cfg.Server == nil {
			t.Skip("no server to kill")
		}
		testOutage(t, cfg)
	})
}

// RunOnServers runs the scenarios on a networked broker: start launches
// a server process; the scenarios share one, and the outage scenario,
// which kills and restarts its server, gets one of its own. broker names
// the constructor the package's TestMain gave NodeMain; the presence
// scenario also runs it in a node process of its own, which it kills
// with SIGKILL.
func RunOnServers(t *testing.T, start func(testing.TB) *testservers.Server, broker string) {
	newBroker := brokers[broker]
	require.NotNil(t, newBroker, "clustertest: no broker %q: name it in TestMain's NodeMain", broker)
	shared := start(t)
	Run(t, func(t *testing.T, outage bool) Config {
		srv, id := shared, rand.Text()[:10]
		cfg := Config{
			NewBroker: func() pubsub.Broker {
				b, err := newBroker(srv.URL(), id)
				require.NoError(t, err)
				return b
			},
			StartProcess: func(t *testing.T, topic string) *ProcessNode {
				return StartProcessNode(t, broker, srv.URL(), id, topic)
			},
			StartRecovering: func(t *testing.T, topic string) *ProcessNode {
				return StartRecoveringNode(t, broker, srv.URL(), id, topic)
			},
		}
		if outage {
			srv = start(t)
			cfg.Server = srv
		}
		return cfg
	})
}

// Node is one Hub on the bus, served over WebSocket at /ws and
// bidirectional SSE at /sse.
type Node struct {
	Hub    *anyws.Hub
	Broker pubsub.Broker
	URL    string
	Opened chan *anyws.Peer
	Msgs   chan anyws.Message // the Message hook's, in order
	Errs   chan error         // Error hook calls with a nil peer

	srv *httptest.Server
}

// Kill makes the node vanish as a crashed process does: it leaves the
// bus, new connections are refused, and its peers' connections break
// without a close event.
func (n *Node) Kill() {
	_ = n.Broker.Close()
	_ = n.srv.Listener.Close()
	n.srv.CloseClientConnections()
	_ = n.Hub.Close()
}

// NewNode starts a node; it is shut down at cleanup. topic, if not
// empty, is subscribed by every peer in Open.
func NewNode(t testing.TB, b pubsub.Broker, topic string) *Node {
	t.Helper()
	return NewNodeOptions(t, b, topic, anyws.Options{})
}

// NewNodeOptions is NewNode with Hub options (their Broker is b).
func NewNodeOptions(t testing.TB, b pubsub.Broker, topic string, opts anyws.Options) *Node {
	t.Helper()
	opts.Broker = b
	n := &Node{Broker: b, Opened: make(chan *anyws.Peer, 64), Msgs: make(chan anyws.Message, 4096), Errs: make(chan error, 4096)}
	n.Hub = anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			if topic != "" {
				p.Subscribe(topic)
			}
			n.Opened <- p
		},
		Message: func(_ *anyws.Peer, m anyws.Message) { n.Msgs <- m },
		Error: func(p *anyws.Peer, err error) {
			if p == nil {
				select {
				case n.Errs <- err:
				default:
				}
			}
		},
	}, &opts)
	require.NotNil(t, n.Hub.Broker(), "the broker did not start")
	mux := http.NewServeMux()
	mux.Handle("/ws", websocket.New(n.Hub, nil))
	mux.Handle("/sse", sse.New(n.Hub, &sse.Options{Bidirectional: true}))
	srv := httptest.NewServer(mux)
	n.URL, n.srv = srv.URL, srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = n.Hub.Shutdown(ctx)
		srv.Close()
	})
	return n
}

// Sync waits until every node's subscriptions are in effect.
func Sync(t testing.TB, nodes ...*Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, n := range nodes {
		s, ok := n.Broker.(pubsub.Syncer)
		require.True(t, ok, "the broker must implement pubsub.Syncer")
		require.NoError(t, s.Sync(ctx))
	}
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}

func label(node, seq int) string { return fmt.Sprintf("%d:%d", node, seq) }
