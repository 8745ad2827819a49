package anyws_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// killable are nodes on one in-process bus whose brokers the test
// holds: closing a node's broker alone is what a kill -9 looks like to
// the others (the node is no longer on the bus, and it can no longer
// touch the peer records: a dead node deletes nothing).
type killable struct {
	hubs    []*anyws.Hub
	brokers []pubsub.Broker
	store   pubsub.PeerStore
}

func killableNodes(t *testing.T, n int, hooks anyws.Hooks) *killable {
	t.Helper()
	bus := pubsub.NewMemoryHistory(nil)
	k := &killable{}
	for i := range n {
		b := bus.Broker()
		h := anyws.New(hooks, &anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute})
		t.Cleanup(func() { _ = h.Close() })
		k.hubs = append(k.hubs, h)
		k.brokers = append(k.brokers, b)
	}
	k.store = k.brokers[n-1].(pubsub.PeerStore)
	return k
}

// kill takes node i off the bus, as SIGKILL would.
func (k *killable) kill(t *testing.T, i int) {
	require.NoError(t, k.brokers[i].Close())
}

// awaitRecord waits until the peer of c has a record naming topics.
func (k *killable) awaitRecord(t *testing.T, c *memConn, topics ...string) {
	t.Helper()
	sum := sha256.Sum256([]byte(c.s.Secret()))
	key := base64.RawURLEncoding.EncodeToString(sum[:16])
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := k.store.LoadPeer(context.Background(), key)
		require.NoError(t, err)
		var rec struct{ Topics []string }
		if b != nil && json.Unmarshal(b, &rec) == nil {
			sort.Strings(rec.Topics)
			if fmt.Sprint(rec.Topics) == fmt.Sprint(topics) {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "the peer's record with topics %v was not saved (last: %s)", topics, b)
		time.Sleep(5 * time.Millisecond)
	}
}

// marks returns what a client that received ps keeps: the last mark
// per tag.
func marks(t *testing.T, ps []*anyws.Payload) (sse.MarkSet, []string) {
	set := sse.MarkSet{}
	var texts []string
	for _, f := range ps {
		texts = append(texts, f.Message().Text())
		set.Add(f.Mark())
	}
	return set, texts
}

// byTopic splits texts "<topic>-<n>" by topic, keeping their order.
func byTopic(texts []string) map[string][]string {
	out := map[string][]string{}
	for _, s := range texts {
		topic := s // a text without a dash is its own
		for i := range s {
			if s[i] == '-' {
				topic = s[:i]
				break
			}
		}
		out[topic] = append(out[topic], s)
	}
	return out
}

// TestRecoverFromKilledNode: the node holding a peer is killed; its
// client comes back to another node with its claim and its marks, and
// gets the same peer, subscribed to the same topics, with every topic
// message it had not received (those the dead node had queued but not
// written, those published after it died) exactly once, in order per
// topic; the Open hook runs again (the application's state died with
// the node), and the status says Recovered.
func TestRecoverFromKilledNode(t *testing.T) {
	t.Parallel()
	opens := make(chan string, 10)
	k := killableNodes(t, 2, anyws.Hooks{Open: func(p *anyws.Peer) {
		p.Subscribe("news")
		p.Subscribe("sports")
		if !p.ResumeStatus().Recovered {
			_ = p.Send("welcome") // its client had it
		}
		opens <- p.ID()
	}})
	a, b := k.hubs[0], k.hubs[1]
	c0 := attach(t, a, "/", resumable(""))
	require.True(t, c0.s.Marks(), "a node whose broker keeps peer records marks messages")
	id := <-opens
	k.awaitRecord(t, c0, "news", "sports")

	ctx := context.Background()
	for _, m := range []string{"news-1", "sports-1", "news-2"} {
		topic := byTopicName(m)
		_, err := b.PublishWait(ctx, topic, m)
		require.NoError(t, err)
	}
	got := c0.writtenPayloads()
	set, texts := marks(t, got)
	require.Equal(t, map[string][]string{"welcome": {"welcome"}, "news": {"news-1", "news-2"}, "sports": {"sports-1"}}, byTopic(texts))
	for _, f := range got {
		if f.Message().Text() == "welcome" {
			require.Empty(t, f.Mark(), "a direct message has no mark")
			continue
		}
		require.NotEmpty(t, f.Mark(), "topic message %q has a mark", f.Message().Text())
	}

	// Queued on the doomed node but never written: the client must get
	// them from the history.
	resume := c0.stall()
	_, err := b.PublishWait(ctx, "news", "news-3")
	require.NoError(t, err) // the bus is synchronous: node-0 has queued it
	claimed := fmt.Sprintf("%s:%d", c0.s.ResumeKey(), len(got))
	k.kill(t, 0)
	resume()
	c0.cut()
	for _, m := range []string{"sports-2", "news-4"} {
		_, err := b.PublishWait(ctx, byTopicName(m), m)
		require.NoError(t, err)
	}

	c := attach(t, b, "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()})
	defer c.finish()
	rs := c.s.Resume()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true, Recovered: true}, rs)
	require.Equal(t, id, c.peer().ID(), "the same peer")
	require.Equal(t, id, <-opens, "its Open hook ran again")
	require.Equal(t, []string{"news", "sports"}, c.peer().Topics())
	_, texts = marks(t, c.writtenPayloads())
	require.Equal(t, map[string][]string{"news": {"news-3", "news-4"}, "sports": {"sports-2"}}, byTopic(texts),
		"every message it missed, once, in order per topic")

	_, err = a.PublishWait(ctx, "news", "dead node publishes nothing")
	require.Error(t, err)
	_, err = b.PublishWait(ctx, "sports", "sports-3")
	require.NoError(t, err)
	require.Equal(t, []string{"sports-3"}, c.written(), "live again")
}

// byTopicName is the topic of "<topic>-<n>".
func byTopicName(m string) string {
	for topic := range byTopic([]string{m}) {
		return topic
	}
	return ""
}

// TestRecoverWithLastIDOnly: a browser's EventSource claims with the
// last id it saw, which carries that message's mark only. Its topic is
// recovered exactly; a topic the claim says nothing of cannot be (the
// client may have had any of its messages): it continues live, and the
// status names it in Gaps rather than guess (duplicates or losses).
func TestRecoverWithLastIDOnly(t *testing.T) {
	t.Parallel()
	k := killableNodes(t, 2, anyws.Hooks{Open: func(p *anyws.Peer) {
		p.Subscribe("news")
		p.Subscribe("sports")
	}})
	a, b := k.hubs[0], k.hubs[1]
	c0 := attach(t, a, "/", resumable(""))
	k.awaitRecord(t, c0, "news", "sports")
	ctx := context.Background()
	for _, m := range []string{"news-1", "sports-1"} {
		_, err := b.PublishWait(ctx, byTopicName(m), m)
		require.NoError(t, err)
	}
	got := c0.writtenPayloads()
	require.Len(t, got, 2)
	last := got[len(got)-1]
	claimed := fmt.Sprintf("%s:%d%s%s", c0.s.ResumeKey(), len(got), sse.MarkSep, last.Mark())
	lastTopic := byTopicName(last.Message().Text())
	other := map[string]string{"news": "sports", "sports": "news"}[lastTopic]
	k.kill(t, 0)
	c0.cut()
	for _, topic := range []string{"news", "sports"} {
		_, err := b.PublishWait(ctx, topic, topic+"-2")
		require.NoError(t, err)
	}

	c := attach(t, b, "/", resumable(claimed))
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true, Recovered: true, Gaps: []string{other}}, c.s.Resume())
	require.Equal(t, []string{lastTopic + "-2"}, c.written(), "the claim's topic recovered, the other not guessed")
	_, err := b.PublishWait(ctx, other, other+"-3")
	require.NoError(t, err)
	require.Equal(t, []string{other + "-3"}, c.written(), "the gap's topic continues live")
}

// TestRecoveredPeerFollowed: a client whose connection to the node that
// recovered its peer dropped before it heard the hello claims again with
// its old claim, naming the dead node, on a third node. That node finds
// the record naming the node holding the peer now, and moves it from
// there: one peer, nothing twice.
func TestRecoveredPeerFollowed(t *testing.T) {
	t.Parallel()
	k := killableNodes(t, 3, anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }})
	ctx := context.Background()
	c0 := attach(t, k.hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	k.awaitRecord(t, c0, "news")
	_, err := k.hubs[1].PublishWait(ctx, "news", "news-1")
	require.NoError(t, err)
	set, texts := marks(t, c0.writtenPayloads())
	require.Equal(t, []string{"news-1"}, texts)
	claimed := fmt.Sprintf("%s:1", c0.s.ResumeKey())
	k.kill(t, 0)
	c0.cut()
	_, err = k.hubs[2].PublishWait(ctx, "news", "news-2")
	require.NoError(t, err)

	c1 := attach(t, k.hubs[1], "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()})
	require.True(t, c1.s.Resume().Recovered)
	c1.cut() // before its client read anything

	c2 := attach(t, k.hubs[2], "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()})
	defer c2.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true}, c2.s.Resume(), "moved from node-1")
	require.Equal(t, id, c2.peer().ID())
	require.Equal(t, []string{"news-2"}, c2.written())
	_, err = k.hubs[1].PublishWait(ctx, "news", "news-3")
	require.NoError(t, err)
	require.Equal(t, []string{"news-3"}, c2.written())
}

// TestClosedPeerNotRecovered: a peer that ended (closed on purpose,
// here by a graceful shutdown of its node) has its record deleted: a
// claim naming the gone node gets a new peer and is told.
func TestClosedPeerNotRecovered(t *testing.T) {
	t.Parallel()
	k := killableNodes(t, 2, anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }})
	c0 := attach(t, k.hubs[0], "/", resumable(""))
	k.awaitRecord(t, c0, "news")
	claimed := claim(c0)
	id := c0.peer().ID()
	require.NoError(t, k.hubs[0].Close())
	c := attach(t, k.hubs[1], "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: []string{}})
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Reason: "unknown"}, c.s.Resume())
	require.NotEqual(t, id, c.peer().ID())
}

// TestRecoveredPeerCountsFromSent: the client says, with its claim, the
// number of the last message it numbered; the rebuilt peer delivers
// only later ones, so a resend still in flight when the node died (a
// POST retried after its answer was lost, which the dead node may have
// delivered) is not delivered twice.
func TestRecoveredPeerCountsFromSent(t *testing.T) {
	t.Parallel()
	got := make(chan string, 10)
	k := killableNodes(t, 2, anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("news") },
		Message: func(_ *anyws.Peer, m anyws.Message) { got <- m.Text() },
	})
	c0 := attach(t, k.hubs[0], "/", resumable(""))
	k.awaitRecord(t, c0, "news")
	require.NoError(t, c0.s.Deliver(anyws.NewMessage([]byte("one"), false), 1))
	require.Equal(t, "one", <-got)
	claimed := claim(c0)
	k.kill(t, 0)
	c0.cut()

	c := attach(t, k.hubs[1], "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: []string{}, Sent: 2})
	defer c.finish()
	require.True(t, c.s.Resume().Recovered)
	require.Equal(t, uint64(2), c.s.Received(), "the hello tells the client where its count stands")
	require.NoError(t, c.s.Deliver(anyws.NewMessage([]byte("two, again"), false), 2))
	require.NoError(t, c.s.Deliver(anyws.NewMessage([]byte("three"), false), 3))
	require.Equal(t, "three", <-got, "number 2 may have reached the dead node: not delivered again")
}

// TestRecoverWhenRecordLags: a peer moved from node-0 to node-2, which
// died before it saved the peer's record (saves are in the background):
// the record still names node-0, which says the peer moved to node-2.
// The walk comes back to the dead node and recovers the peer there
// rather than give up.
func TestRecoverWhenRecordLags(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	gate := brokertest.RecordGate{StoreBroker: bus.Broker().(brokertest.StoreBroker), Open: make(chan struct{})}
	brokers := []pubsub.Broker{bus.Broker(), bus.Broker(), gate}
	var hubs []*anyws.Hub
	for i, b := range brokers {
		h := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
			&anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute})
		t.Cleanup(func() { _ = h.Close() })
		hubs = append(hubs, h)
	}
	t.Cleanup(func() { close(gate.Open) }) // before the Hubs close
	k := &killable{hubs: hubs, brokers: brokers, store: brokers[1].(pubsub.PeerStore)}
	ctx := context.Background()
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	k.awaitRecord(t, c0, "news")
	old := claim(c0)
	c0.cut()
	c2 := moveTo(t, hubs[2], old, id) // its record is not saved: the gate
	_, err := hubs[1].PublishWait(ctx, "news", "news-1")
	require.NoError(t, err)
	set, texts := marks(t, c2.writtenPayloads())
	require.Equal(t, []string{"news-1"}, texts)
	claimed := fmt.Sprintf("%s:1", c2.s.ResumeKey())
	k.kill(t, 2)
	c2.cut()
	_, err = hubs[1].PublishWait(ctx, "news", "news-2")
	require.NoError(t, err)

	c := attach(t, hubs[1], "/", &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()})
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true, Recovered: true}, c.s.Resume())
	require.Equal(t, id, c.peer().ID())
	require.Equal(t, []string{"news-2"}, c.written())
}

// TestClaimAgainWhenTakeOverFails: node-1 asks node-0 for a peer, which
// node-0 hands over, but node-1 cannot read the peer's topics (it lost
// its broker, dying): Attach fails with ErrClaimAgain instead of giving
// the client a new peer, so that the client claims again. Node-1 dies;
// the same claim on node-2 recovers the peer (node-0 says it moved to
// node-1, which is gone: the peer's record and the client's marks).
func TestClaimAgainWhenTakeOverFails(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	var failing atomic.Bool
	brokers := []pubsub.Broker{bus.Broker(), brokertest.HistoryFails{StoreBroker: bus.Broker().(brokertest.StoreBroker), Failing: &failing}, bus.Broker()}
	var hubs []*anyws.Hub
	for i, b := range brokers {
		h := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }},
			&anyws.Options{Broker: b, NodeID: fmt.Sprint("node-", i), ResumeWindow: time.Minute})
		t.Cleanup(func() { _ = h.Close() })
		hubs = append(hubs, h)
	}
	k := &killable{hubs: hubs, brokers: brokers, store: brokers[2].(pubsub.PeerStore)}
	ctx := context.Background()
	c0 := attach(t, hubs[0], "/", resumable(""))
	id := c0.peer().ID()
	k.awaitRecord(t, c0, "news")
	_, err := hubs[2].PublishWait(ctx, "news", "news-1")
	require.NoError(t, err)
	set, _ := marks(t, c0.writtenPayloads())
	claimed := fmt.Sprintf("%s:1", c0.s.ResumeKey())
	c0.cut()
	o := &anyws.AttachOptions{Resumable: true, Resume: claimed, Marks: set.List()}

	failing.Store(true)
	hs, err := hubs[1].Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
	require.NoError(t, err)
	_, err = hubs[1].Attach(hs, &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}, o)
	require.ErrorIs(t, err, anyws.ErrClaimAgain, "not a new peer: the client should claim again")
	k.kill(t, 1)
	_, err = hubs[2].PublishWait(ctx, "news", "news-2")
	require.NoError(t, err)

	c := attach(t, hubs[2], "/", o)
	defer c.finish()
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true, Recovered: true}, c.s.Resume())
	require.Equal(t, id, c.peer().ID())
	require.Equal(t, []string{"news-2"}, c.written())
}

// TestCloseWithRecordsStuck: a Hub whose broker stopped answering peer
// record calls still closes in bounded time (its last deletes get a few
// seconds, not ten per record), and says what it left undone, once.
func TestCloseWithRecordsStuck(t *testing.T) {
	t.Parallel()
	errs := make(chan error, 100)
	gate := brokertest.RecordGate{StoreBroker: pubsub.NewMemoryHistory(nil).Broker().(brokertest.StoreBroker), Open: make(chan struct{})}
	defer close(gate.Open)
	hub := anyws.New(anyws.Hooks{
		Open:  func(p *anyws.Peer) { p.Subscribe("news") },
		Error: func(p *anyws.Peer, err error) { errs <- err },
	}, &anyws.Options{Broker: gate, NodeID: "n", ResumeWindow: time.Minute})
	for range 100 {
		attach(t, hub, "/", resumable(""))
	}
	closed := make(chan error)
	go func() { closed <- hub.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("Close waited on 100 stuck record deletes (8 at a time, 10 s each, would take over 2 minutes)")
	}
	var reports []string
	for len(errs) > 0 {
		reports = append(reports, (<-errs).Error())
	}
	require.NotEmpty(t, reports)
	require.Less(t, len(reports), 5, "reported in a few counted errors, not one per record: %q", reports)
}

// TestEndedCopyKeepsOthersRecord: a peer that ends deletes its record
// only when the record names its node. One that names another node is
// that node's copy of the peer (the one that ended was a stray, rebuilt
// from a record that lagged behind a move): deleting it would leave
// the live peer without a record, lost if its node died. Before, the
// end deleted whatever was there.
func TestEndedCopyKeepsOthersRecord(t *testing.T) {
	t.Parallel()
	k := killableNodes(t, 2, anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("news") }})
	c0 := attach(t, k.hubs[0], "/", resumable(""))
	k.awaitRecord(t, c0, "news")
	sum := sha256.Sum256([]byte(c0.s.Secret()))
	key := base64.RawURLEncoding.EncodeToString(sum[:16])
	ctx := context.Background()
	b, err := k.store.LoadPeer(ctx, key)
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(b, &rec))
	rec["node"] = "node-1" // node-1 holds the peer now
	theirs, err := json.Marshal(rec)
	require.NoError(t, err)
	require.NoError(t, k.store.SavePeer(ctx, key, theirs, time.Hour))

	require.NoError(t, k.hubs[0].Close()) // ends node-0's copy, and waits for its deletes
	b, err = k.store.LoadPeer(ctx, key)
	require.NoError(t, err)
	require.JSONEq(t, string(theirs), string(b), "node-1's record survives the end of node-0's copy")
}
