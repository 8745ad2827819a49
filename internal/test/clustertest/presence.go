package clustertest

import (
	"context"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// testPresence: three nodes with presence on, a WebSocket client on
// each subscribed to one topic. Every node sees the three members; a
// client that leaves is announced as a leave; then a node is killed
// (Node.Kill: its broker stops without a word, its Hub's leaves fail, as
// when the process dies) and the other two see its member expire, and
// no longer list it.
//
// A killed node is simulated in-process rather than with a subprocess
// killed with SIGKILL: what the other nodes see of a dead node is only
// its broker connection going silent (no leave, no renewal), which
// closing its broker without cleanup is; a child process would add a
// build and a port handshake to the test and nothing the others can
// observe.
func testPresence(t *testing.T, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	const topic = "room"
	var nodes []*Node
	events := make([]chan anyws.PresenceEvent, 3)
	for i := range 3 {
		events[i] = make(chan anyws.PresenceEvent, 256)
		nodes = append(nodes, NewNodeOptions(t, cfg.NewBroker(), topic, anyws.Options{
			ResumeWindow: -1,
			Presence: &anyws.PresenceOptions{
				Info:   func(p *anyws.Peer, _ string) []byte { return []byte(`{"node":` + string(rune('0'+i)) + `}`) },
				Change: func(e anyws.PresenceEvent) { events[i] <- e },
			},
		}))
	}
	var clients []*ws.Conn
	ids := map[string]string{} // peer id → node id
	for _, n := range nodes {
		c, _, err := ws.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/ws", nil)
		require.NoError(t, err)
		clients = append(clients, c)
		ids[recv(t, n.Opened, "Open").ID()] = n.Hub.NodeID()
	}
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.CloseNow()
		}
	})
	for i := range nodes {
		joined := map[string]string{}
		for range 3 {
			e := recv(t, events[i], "the three joins")
			require.True(t, e.Join, "%+v", e)
			require.Equal(t, topic, e.Topic)
			joined[e.Member.ID] = e.Member.Node
		}
		require.Equal(t, ids, joined, "joins seen on node %d", i)
	}
	members := func(n *Node) map[string]string {
		t.Helper()
		ms, err := n.Hub.Presence(ctx, topic)
		require.NoError(t, err)
		got := map[string]string{}
		for _, m := range ms {
			require.NotEmpty(t, m.Info)
			got[m.ID] = m.Node
		}
		return got
	}
	for _, n := range nodes {
		require.Equal(t, ids, members(n))
	}

	// The client on node 2 closes: a leave, not an expiry.
	require.NoError(t, clients[2].Close(ws.StatusNormalClosure, "bye"))
	for i := range nodes {
		e := recv(t, events[i], "node 2's client's leave")
		require.False(t, e.Join, "%+v", e)
		require.False(t, e.Expired, "%+v", e)
		require.Equal(t, nodes[2].Hub.NodeID(), e.Member.Node)
		delete(ids, e.Member.ID)
	}

	// Node 0 dies: its member expires on nodes 1 and 2.
	nodes[0].Kill()
	if cfg.ExpirePresence != nil {
		cfg.ExpirePresence()
	}
	for i := 1; i < 3; i++ {
		e := recv(t, events[i], "node 0's member expiring")
		for e.Join {
			// A join of a member already known (seen once on Redis as a
			// node died: a renewal that re-announced its entry) is not
			// what is awaited here; a new member would be a defect.
			_, known := ids[e.Member.ID]
			require.True(t, known, "an unknown member joined: %+v", e)
			e = recv(t, events[i], "node 0's member expiring")
		}
		require.True(t, e.Expired, "a dead node's member expires: %+v", e)
		require.Equal(t, nodes[0].Hub.NodeID(), e.Member.Node)
		delete(ids, e.Member.ID)
	}
	require.Len(t, ids, 1)
	for _, n := range nodes[1:] {
		require.Equal(t, ids, members(n), "members after node 0 died")
	}
}
