package clustertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// presenceNode is one node of the presence scenario, in this process
// (Node) or in a child (ProcessNode).
type presenceNode struct {
	id      string
	url     string
	opened  func(t *testing.T) string // the next peer it opened
	events  chan anyws.PresenceEvent
	members func(ctx context.Context) ([]anyws.Member, error)
	count   func(ctx context.Context) (int, error) // nil: a child's (Members tells)
	kill    func()
}

// testPresence: three nodes with presence on, WebSocket clients on each
// (two on node 0) subscribed to one topic. Every node sees every member
// join, once; a client that leaves is announced as a leave; then node 0
// dies and the other two see its two members expire (leaves with
// Expired), and no other change: no member of a live node leaves, none
// joins again.
//
// On Redis and NATS (Config.StartProcess) node 0 is a process of its
// own killed with SIGKILL, as an operator's kill -9: nothing of it runs
// after the signal, the kernel closes its broker connection. On the
// memory bus, whose nodes share this process, Node.Kill closes its
// broker without a word instead.
func testPresence(t *testing.T, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	const topic = "room"
	var nodes []*presenceNode
	if cfg.StartProcess != nil {
		pn := cfg.StartProcess(t, topic)
		nodes = append(nodes, &presenceNode{
			id: pn.NodeID, url: pn.URL, events: pn.Events, kill: pn.Kill,
			opened:  func(t *testing.T) string { return recv(t, pn.Opened, "Open on the node process") },
			members: func(ctx context.Context) ([]anyws.Member, error) { return pn.Members(ctx, topic) },
		})
	}
	for i := len(nodes); i < 3; i++ {
		events := make(chan anyws.PresenceEvent, 256)
		n := NewNodeOptions(t, cfg.NewBroker(), topic, anyws.Options{
			ResumeWindow: -1,
			Presence: &anyws.PresenceOptions{
				Info:   func(p *anyws.Peer, _ string) []byte { return []byte(`{"node":` + string(rune('0'+i)) + `}`) },
				Change: func(e anyws.PresenceEvent) { events <- e },
			},
		})
		nodes = append(nodes, &presenceNode{
			id: n.Hub.NodeID(), url: n.URL, events: events, kill: n.Kill,
			opened:  func(t *testing.T) string { return recv(t, n.Opened, "Open").ID() },
			members: func(ctx context.Context) ([]anyws.Member, error) { return n.Hub.Presence(ctx, topic) },
			count:   func(ctx context.Context) (int, error) { return n.Hub.PresenceCount(ctx, topic) },
		})
	}
	var clients []*ws.Conn
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.CloseNow()
		}
	})
	ids := map[string]string{} // peer id → node id
	for i, n := range []*presenceNode{nodes[0], nodes[0], nodes[1], nodes[2]} {
		c, _, err := ws.Dial(ctx, strings.Replace(n.url, "http", "ws", 1)+"/ws", nil)
		require.NoError(t, err, "client %d", i)
		clients = append(clients, c)
		ids[n.opened(t)] = n.id
	}
	for i, n := range nodes {
		joined := map[string]string{}
		for range len(ids) {
			e := recv(t, n.events, "the four joins")
			require.True(t, e.Join, "node %d: %+v", i, e)
			require.Equal(t, topic, e.Topic)
			_, again := joined[e.Member.ID]
			require.False(t, again, "node %d: a member joined twice: %+v", i, e)
			joined[e.Member.ID] = e.Member.Node
		}
		require.Equal(t, ids, joined, "joins seen on node %d", i)
	}
	members := func(n *presenceNode) map[string]string {
		t.Helper()
		ms, err := n.members(ctx)
		require.NoError(t, err)
		got := map[string]string{}
		for _, m := range ms {
			require.NotEmpty(t, m.Info)
			got[m.ID] = m.Node
		}
		if n.count != nil {
			c, err := n.count(ctx)
			require.NoError(t, err)
			require.Equal(t, len(ms), c, "PresenceCount and Presence on %s", n.id)
		}
		return got
	}
	for _, n := range nodes {
		require.Equal(t, ids, members(n), "members seen on %s", n.id)
	}

	// The client on node 2 closes: a leave, not an expiry.
	require.NoError(t, clients[3].Close(ws.StatusNormalClosure, "bye"))
	for i, n := range nodes {
		e := recv(t, n.events, "node 2's client's leave")
		require.False(t, e.Join, "node %d: %+v", i, e)
		require.False(t, e.Expired, "node %d: %+v", i, e)
		require.Equal(t, nodes[2].id, e.Member.Node)
		delete(ids, e.Member.ID)
	}

	// Node 0 dies: its two members expire on nodes 1 and 2, and only
	// they. The span from the kill to the last expiry covers the TTL,
	// in which the live nodes' entries had to be renewed.
	killed := time.Now()
	nodes[0].kill()
	if cfg.ExpirePresence != nil {
		cfg.ExpirePresence()
	}
	for i, n := range nodes[1:] {
		gone := map[string]bool{}
		for range 2 {
			e := recv(t, n.events, "node 0's members expiring")
			require.False(t, e.Join, "node %d: after node 0 died, a join: %+v", i+1, e)
			require.True(t, e.Expired, "node %d: a dead node's member expires, and no live one leaves: %+v", i+1, e)
			require.Equal(t, nodes[0].id, e.Member.Node, "node %d: %+v", i+1, e)
			gone[e.Member.ID] = true
		}
		require.Len(t, gone, 2, "node %d: each of node 0's members expires once", i+1)
		t.Logf("node %d saw node 0's members expire %v after the kill", i+1, time.Since(killed).Round(time.Millisecond))
	}
	live := map[string]string{}
	for id, node := range ids {
		if node != nodes[0].id {
			live[id] = node
		}
	}
	require.Len(t, live, 1)
	for _, n := range nodes[1:] {
		require.Equal(t, live, members(n), "members on %s after node 0 died", n.id)
	}
	for i, n := range nodes[1:] {
		select {
		case e := <-n.events:
			require.FailNow(t, "a presence event after node 0's expiry", "node %d: %+v", i+1, e)
		default:
		}
	}
}
