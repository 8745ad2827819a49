package pubsubtest

import (
	"context"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// PresenceBus is what the presence suite needs from a broker's tests.
type PresenceBus struct {
	// New makes brokers of one bus, as Bus does; they must implement
	// pubsub.Presence.
	New Bus
	// Expire makes the entries of a node whose broker was closed
	// (killed: it said no Leave) due to expire now: the memory bus
	// advances its clock. nil: the bus's TTL is short and runs in real
	// time; the suite waits for the expiry's leave events.
	Expire func()
}

// RunPresence runs the presence cases (pubsub.Presence). newBus is called
// once per subtest, as by Run.
func RunPresence(t *testing.T, newBus func(t *testing.T) PresenceBus) {
	tests := []struct {
		name string
		fn   func(*testing.T, PresenceBus)
	}{
		{"JoinLeave", testJoinLeave},
		{"TopicsApart", testPresenceTopics},
		{"DeadNodeExpires", testPresenceDeadNode},
		{"Count", testPresenceCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBus(t))
		})
	}
}

// pnode is a started broker with its presence events.
type pnode struct {
	*node
	p      pubsub.Presence
	events chan pubsub.PresenceEvent
}

func startPresence(t *testing.T, bus PresenceBus) *pnode {
	t.Helper()
	n := start(t, bus.New)
	p, ok := n.b.(pubsub.Presence)
	require.True(t, ok, "pubsubtest: the broker must implement pubsub.Presence")
	pn := &pnode{node: n, p: p, events: make(chan pubsub.PresenceEvent, 1024)}
	stop := p.WatchPresence(func(e pubsub.PresenceEvent) {
		select {
		case pn.events <- e:
		default:
			t.Errorf("pubsubtest: presence event buffer full on %s", n.id)
		}
	})
	t.Cleanup(stop)
	return pn
}

func ctxWait(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func (n *pnode) join(t *testing.T, topic, id, info string) {
	t.Helper()
	m := pubsub.Member{ID: id, Namespace: "ns"}
	if info != "" {
		m.Info = []byte(info)
	}
	require.NoError(t, n.p.Join(ctxWait(t), topic, m))
}

func (n *pnode) leave(t *testing.T, topic, id string) {
	t.Helper()
	require.NoError(t, n.p.Leave(ctxWait(t), topic, pubsub.Member{ID: id}))
}

// members returns topic's members as "node/id" strings.
func (n *pnode) members(t *testing.T, topic string) []pubsub.Member {
	t.Helper()
	ms, err := n.p.Members(ctxWait(t), topic)
	require.NoError(t, err)
	return ms
}

// count returns topic's member count, checked against Members.
func (n *pnode) count(t *testing.T, topic string) int {
	t.Helper()
	c, err := n.p.Count(ctxWait(t), topic)
	require.NoError(t, err)
	require.Len(t, n.members(t, topic), c, "Count and Members disagree on %s", n.id)
	return c
}

// event returns n's next presence event.
func (n *pnode) event(t *testing.T, what string) pubsub.PresenceEvent {
	t.Helper()
	select {
	case e := <-n.events:
		return e
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for a presence event: "+what, "node %s", n.id)
		panic("unreachable")
	}
}

// expectEvent checks n's next event.
func (n *pnode) expectEvent(t *testing.T, topic string, join, expired bool, from *pnode, id string) {
	t.Helper()
	e := n.event(t, topic+" "+from.id+"/"+id)
	require.Equal(t, topic, e.Topic, "event topic on %s", n.id)
	require.Equal(t, join, e.Join, "join or leave on %s: %+v", n.id, e)
	require.Equal(t, expired, e.Expired, "expired on %s: %+v", n.id, e)
	require.Equal(t, from.id, e.Member.Node, "node on %s", n.id)
	require.Equal(t, id, e.Member.ID, "id on %s", n.id)
}

func (n *pnode) noEvents(t *testing.T) {
	t.Helper()
	select {
	case e := <-n.events:
		require.FailNow(t, "unexpected presence event", "%s got %+v", n.id, e)
	default:
	}
}

func testJoinLeave(t *testing.T, bus PresenceBus) {
	a, b, c := startPresence(t, bus), startPresence(t, bus), startPresence(t, bus)
	all := []*pnode{a, b, c}
	a.join(t, "room", "p1", `{"name":"ann"}`)
	for _, n := range all {
		n.expectEvent(t, "room", true, false, a, "p1")
	}
	b.join(t, "room", "p2", "")
	for _, n := range all {
		n.expectEvent(t, "room", true, false, b, "p2")
	}
	want := []pubsub.Member{
		{ID: "p1", Node: a.id, Namespace: "ns", Info: []byte(`{"name":"ann"}`)},
		{ID: "p2", Node: b.id, Namespace: "ns"},
	}
	pubsub.SortMembers(want)
	for _, n := range all {
		require.Equal(t, want, n.members(t, "room"), "members seen from %s", n.id)
	}

	// A second join refreshes, unannounced; a leave is announced once;
	// leaving what is not there says nothing.
	a.join(t, "room", "p1", `{"name":"ann"}`)
	a.leave(t, "room", "p1")
	a.leave(t, "room", "p1")
	c.leave(t, "room", "p2") // c does not hold p2: b does
	for _, n := range all {
		n.expectEvent(t, "room", false, false, a, "p1")
	}
	require.Equal(t, []pubsub.Member{{ID: "p2", Node: b.id, Namespace: "ns"}}, c.members(t, "room"))
	b.leave(t, "room", "p2")
	for _, n := range all {
		n.expectEvent(t, "room", false, false, b, "p2")
		n.noEvents(t)
		require.Empty(t, n.members(t, "room"))
	}
}

func testPresenceTopics(t *testing.T, bus PresenceBus) {
	a, b := startPresence(t, bus), startPresence(t, bus)
	// Two nodes' events may arrive in either order: one at a time.
	a.join(t, "one", "p1", "")
	for _, n := range []*pnode{a, b} {
		n.expectEvent(t, "one", true, false, a, "p1")
	}
	b.join(t, "two", "p1", "")
	for _, n := range []*pnode{a, b} {
		n.expectEvent(t, "two", true, false, b, "p1")
	}
	require.Equal(t, []pubsub.Member{{ID: "p1", Node: a.id, Namespace: "ns"}}, b.members(t, "one"))
	require.Equal(t, []pubsub.Member{{ID: "p1", Node: b.id, Namespace: "ns"}}, a.members(t, "two"))
	require.Empty(t, a.members(t, "three"))
}

// testPresenceDeadNode closes a node's broker without a Leave, as a
// killed process leaves it: its entries expire on their TTL, announced
// as expired leaves to the nodes still alive.
func testPresenceDeadNode(t *testing.T, bus PresenceBus) {
	a, b, c := startPresence(t, bus), startPresence(t, bus), startPresence(t, bus)
	a.join(t, "room", "p1", "")
	a.join(t, "room", "p2", "")
	b.join(t, "room", "p3", "")
	for _, n := range []*pnode{b, c} {
		for range 3 {
			require.True(t, n.event(t, "the three joins").Join)
		}
	}
	a.close(t)
	if bus.Expire != nil {
		bus.Expire()
	}
	for _, n := range []*pnode{b, c} {
		gone := map[string]bool{}
		for range 2 {
			e := n.event(t, "a's members expiring")
			require.False(t, e.Join)
			require.True(t, e.Expired, "%+v", e)
			require.Equal(t, a.id, e.Member.Node)
			gone[e.Member.ID] = true
		}
		require.Equal(t, map[string]bool{"p1": true, "p2": true}, gone)
	}
	require.Equal(t, []pubsub.Member{{ID: "p3", Node: b.id, Namespace: "ns"}}, c.members(t, "room"))
	require.Equal(t, 1, b.count(t, "room"), "count after a's members expired")
	require.Equal(t, 1, c.count(t, "room"), "count after a's members expired")
	b.noEvents(t)
	c.noEvents(t)
}

// testPresenceCount: Count is every node's member count of a topic, seen
// alike from every node, once each join or leave was announced; a
// refresh does not count twice, the same peer id on two nodes counts
// twice (two members), and topics are counted apart.
func testPresenceCount(t *testing.T, bus PresenceBus) {
	a, b, c := startPresence(t, bus), startPresence(t, bus), startPresence(t, bus)
	all := []*pnode{a, b, c}
	counts := func(topic string, want int, when string) {
		t.Helper()
		for _, n := range all {
			require.Equal(t, want, n.count(t, topic), "count of %s seen from %s, %s", topic, n.id, when)
		}
	}
	counts("room", 0, "before any join")
	step := func(do func(), from *pnode, id string, join bool) {
		t.Helper()
		do()
		for _, n := range all {
			n.expectEvent(t, "room", join, false, from, id)
		}
	}
	step(func() { a.join(t, "room", "p1", "") }, a, "p1", true)
	counts("room", 1, "after a/p1 joined")
	a.join(t, "room", "p1", "") // a refresh: no event, no second count
	step(func() { a.join(t, "room", "p2", "") }, a, "p2", true)
	step(func() { b.join(t, "room", "p1", "") }, b, "p1", true)
	counts("room", 3, "after a/p1, a/p2, b/p1 joined and a/p1 refreshed")
	counts("other", 0, "with members in room only")
	step(func() { a.leave(t, "room", "p1") }, a, "p1", false)
	counts("room", 2, "after a/p1 left")
	step(func() { a.leave(t, "room", "p2") }, a, "p2", false)
	step(func() { b.leave(t, "room", "p1") }, b, "p1", false)
	counts("room", 0, "after everyone left")
	for _, n := range all {
		n.noEvents(t)
	}
}
