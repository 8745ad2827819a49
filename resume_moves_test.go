package anyws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// nodes starts n hubs on one in-process bus that keeps history and
// carries requests, so that peers can move between them.
func nodes(t *testing.T, n int, hooks anyws.Hooks, window time.Duration) []*anyws.Hub {
	t.Helper()
	bus := pubsub.NewMemoryHistory(nil)
	hubs := make([]*anyws.Hub, n)
	for i := range hubs {
		hubs[i] = anyws.New(hooks, &anyws.Options{Broker: bus.Broker(), NodeID: fmt.Sprint("node-", i), ResumeWindow: window})
		t.Cleanup(func() { require.NoError(t, hubs[i].Close()) })
	}
	return hubs
}

// claim is the resume claim of a client of c that saw every message.
func claim(c *memConn) string {
	return fmt.Sprintf("%s:%d", c.s.ResumeKey(), c.s.Received())
}

// moveTo resumes on hub the peer claim names, which must work.
func moveTo(t *testing.T, hub *anyws.Hub, claim, id string) *memConn {
	t.Helper()
	c := attach(t, hub, "/", resumable(claim))
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true}, c.s.Resume(), "resuming %s", claim)
	require.Equal(t, id, c.peer().ID(), "the same peer")
	return c
}

// TestMoveRecordOutlivesEarlierMove: a node remembers where a peer went
// (for two resume windows after it moved away) for a client whose claim
// still names the node: it did not hear from the new node before its
// connection dropped again. The expiry of an earlier move's record must
// not end a later one: once it did, when the peer had moved twice from
// the same node to the same other node, and a client's resume a minute
// or two into a long run came back "unknown".
func TestMoveRecordOutlivesEarlierMove(t *testing.T) {
	t.Parallel()
	const window = 5 * time.Second
	hubs := nodes(t, 3, anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }}, window)
	a, b, c := hubs[0], hubs[1], hubs[2]

	c0 := attach(t, a, "/", resumable(""))
	id := c0.peer().ID()
	c0.cut()
	first := time.Now()
	c1 := moveTo(t, b, claim(c0), id) // a → b: a remembers b
	c1.cut()
	c2 := moveTo(t, a, claim(c1), id) // back on a, connected meanwhile
	time.Sleep(time.Until(first.Add(window * 3 / 2)))
	onA := claim(c2)
	c2.cut()
	second := time.Now()
	c3 := moveTo(t, b, onA, id) // a → b again: a remembers b anew
	c3.cut()                    // before its client heard from b

	// Past the first record's time, within the second's and within the
	// peer's window on b.
	time.Sleep(time.Until(first.Add(2*window + 500*time.Millisecond)))
	if time.Since(second) > window-time.Second {
		t.Skip("the machine was too slow to claim within the peer's window on b")
	}
	c4 := moveTo(t, c, onA, id) // c asks a, which says b
	defer c4.finish()
	require.NoError(t, c.Publish("news", "after"))
	require.Equal(t, []string{"after"}, c4.written(), "the peer kept its subscription")
}

// TestMoveFollowsEveryHop: a claim naming the node a peer left several
// moves ago still finds it, however many nodes it went through since
// (each move's client dropped before it heard from the new node). The
// walk once stopped after four nodes and answered "unknown".
func TestMoveFollowsEveryHop(t *testing.T) {
	t.Parallel()
	hubs := nodes(t, 7, anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }}, time.Minute)
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	old := claim(c0)
	c0.cut()
	// node k asks node 0, which says 1, which says 2, ... k-1 has it.
	for k := 1; k < len(hubs); k++ {
		moveTo(t, hubs[k], old, id).cut()
	}
	// Back on the first node, which walks from its own record.
	c := moveTo(t, hubs[0], old, id)
	defer c.finish()
	require.NoError(t, hubs[3].Publish("news", "after"))
	require.Equal(t, []string{"after"}, c.written(), "the peer kept its subscription")
}

// TestMoveFromUnreachableNodeReported: a claim naming a node that does
// not answer (killed, say) gets a new peer, told "unknown", and the
// Error hook hears why (a nil peer: it is the node's affair), so an
// operator can tell a dead node from a wrong secret.
func TestMoveFromUnreachableNodeReported(t *testing.T) {
	t.Parallel()
	errs := make(chan error, 10)
	hubs := nodes(t, 2, anyws.Hooks{Error: func(p *anyws.Peer, err error) {
		if p == nil {
			errs <- err
		}
	}}, time.Minute)
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	claim := claim(c0)
	require.NoError(t, hubs[0].Close()) // its node is gone
	c := attach(t, hubs[1], "/", resumable(claim))
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Reason: "unknown"}, c.s.Resume())
	require.NotEqual(t, id, c.peer().ID(), "a new peer")
	select {
	case err := <-errs:
		require.ErrorContains(t, err, "resuming a peer of node node-0")
	case <-time.After(10 * time.Second):
		t.Fatal("the Error hook did not hear of the failed hand-over")
	}
}

// bindGate is a memConn whose Bind waits for open: the core binds a
// resumed connection while it still holds the peer, so a second claim
// of the same client can be made to arrive just then.
type bindGate struct {
	*memConn
	bound chan struct{}
	open  chan struct{}
}

func (g *bindGate) Bind(*anyws.Session) {
	close(g.bound)
	<-g.open
}

// TestSecondClaimTakesOver: a client whose connection dropped again
// before it heard the answer to its resume claims again; when the
// second claim comes while the first is still attaching the peer, the
// later claim takes the peer over (once it was refused, "unknown", and
// the client lost its peer).
func TestSecondClaimTakesOver(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }}, &anyws.Options{ResumeWindow: time.Minute})
	defer hub.Close()
	c0 := attach(t, hub, "/", resumable(""))
	id := c0.peer().ID()
	cl := claim(c0)
	c0.cut()

	first := &bindGate{memConn: &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}, bound: make(chan struct{}), open: make(chan struct{})}
	attached := make(chan *anyws.Session)
	go func() {
		hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
		if err != nil {
			panic(err)
		}
		s, err := hub.Attach(hs, first, resumable(cl))
		if err != nil {
			panic(err)
		}
		first.s = s
		go first.read()
		attached <- s
	}()
	recv(t, first.bound, "the first claim's Bind") // it holds the peer
	second := make(chan *memConn)
	go func() { second <- attach(t, hub, "/", resumable(cl)) }()
	time.Sleep(100 * time.Millisecond) // let the second claim reach the peer (either order must pass)
	close(first.open)
	require.True(t, recv(t, attached, "the first claim attached").Resume().Resumed)
	c2 := recv(t, second, "the second claim attached")
	defer c2.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true}, c2.s.Resume(), "the later claim takes the peer over")
	require.Equal(t, id, c2.peer().ID())
	first.waitEnded() // its connection was ended for the second
	require.NoError(t, hub.Publish("news", "after"))
	require.Equal(t, []string{"after"}, c2.written())
}

// recv waits for ch, saying what it waited for if it waits too long.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("waited 10 s for %s", what)
		panic("unreachable")
	}
}

// TestPassedThroughNotTakenTwice: the peer moved node-0 → node-1 →
// node-2 while its client heard from neither (each connection dropped
// before the hello), so its next claim, landing on node-1 again, is the
// same as the first. node-0 still keeps the state it handed to node-1
// (for a lost answer); it must not give it again, since node-1 did get
// it: the walk goes on to node-2 and the peer moves once more. Before,
// node-1 made a second peer from node-0's old state while node-2 held
// the first; whichever ended deleted the peer's record.
func TestPassedThroughNotTakenTwice(t *testing.T) {
	t.Parallel()
	opened := make(chan string, 10)
	hubs := nodes(t, 3, anyws.Hooks{Open: func(p *anyws.Peer) {
		opened <- p.ID()
		p.Subscribe("news")
	}}, time.Minute)
	ctx := context.Background()
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	require.Equal(t, id, <-opened)
	_, err := hubs[0].PublishWait(ctx, "news", "news-1")
	require.NoError(t, err)
	waitWritten(t, c0, []string{"news-1"})
	claimed, secret := c0.s.ResumeKey()+":1", c0.s.Secret()
	c0.cut()

	moveTo(t, hubs[1], claimed, id).cut() // dropped before its hello
	moveTo(t, hubs[2], claimed, id).cut()
	_, err = hubs[0].PublishWait(ctx, "news", "news-2")
	require.NoError(t, err)
	c := moveTo(t, hubs[1], claimed, id)
	defer c.finish()
	require.Equal(t, []string{"news-2"}, c.written(), "what it missed, once")
	for i, h := range hubs {
		require.Equal(t, i == 1, h.Lookup(secret) != nil, "node-%d holds the peer: one peer, on node-1", i)
	}
	require.Empty(t, opened, "no new peer")
}

// TestWalkFollowsPeerGoingRound: while a claim's walk follows a peer,
// a claim of the same client (from a connection that dropped) can move
// it back to a node the walk already asked. The walk must ask that node
// again rather than take the two records naming each other for records
// that go round: once the client got a new peer ("the nodes' records of
// the peer's moves go round", in the full-size NATS run).
func TestWalkFollowsPeerGoingRound(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	var hubs []*anyws.Hub
	var once sync.Once
	var round func()
	brokers := []pubsub.Broker{bus.Broker(), bus.Broker(), brokertest.AfterAnswer{
		StoreBroker: bus.Broker().(brokertest.StoreBroker),
		After: func(node string) {
			if node == "node-1" {
				once.Do(round)
			}
		},
	}}
	for i, b := range brokers {
		h := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
			&anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute})
		t.Cleanup(func() { require.NoError(t, h.Close()) })
		hubs = append(hubs, h)
	}
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	c0.cut()
	c1 := moveTo(t, hubs[1], claim(c0), id) // node-0 → node-1
	stale := claim(c1)                      // names node-1
	c1.cut()
	c2 := moveTo(t, hubs[0], stale, id) // node-1 → node-0: node-1 records node-0
	back := claim(c2)                   // names node-0
	c2.cut()
	// node-2 asks node-1, which says node-0; meanwhile another claim
	// moves the peer from node-0 back to node-1, so node-0 says node-1.
	round = func() { moveTo(t, hubs[1], back, id).cut() }
	c := moveTo(t, hubs[2], stale, id)
	defer c.finish()
	require.NoError(t, hubs[0].Publish("news", "after"))
	waitWritten(t, c, []string{"after"}) // the peer kept its subscription
}
