package pubsubtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// wait bounds every wait of the suite. It is generous (a loaded CI
// machine, -race) and never a speed assertion.
const wait = 20 * time.Second

// Bus makes brokers that relay to each other: each call returns a new,
// unstarted broker, one node of the bus.
type Bus func() pubsub.Broker

// Run runs the suite. newBus is called once per subtest (subtests run in
// parallel) and must return a bus of its own: nodes of one bus relay to
// each other, and never to those of another bus (give each bus its own
// channel prefix on a shared server, say). The suite starts and closes
// every broker it makes.
func Run(t *testing.T, newBus func(t *testing.T) Bus) {
	tests := []struct {
		name string
		fn   func(*testing.T, Bus)
	}{
		{"PublishSubscribe", testPublishSubscribe},
		{"Unsubscribe", testUnsubscribe},
		{"ManyTopics", testManyTopics},
		{"Binary", testBinary},
		{"EventNames", testEventNames},
		{"LargePayload", testLargePayload},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"EchoSuppression", testEchoSuppression},
		{"Namespaces", testNamespaces},
		{"Close", testClose},
		{"Requests", testRequests},
		{"SlowRequestsDoNotDelayPublishes", testSlowRequests},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBus(t))
		})
	}
}

// node is one started broker and what it was given.
type node struct {
	b   pubsub.Broker
	id  string
	got chan pubsub.Message

	mu       sync.Mutex
	closed   bool // Close returned
	late     int  // deliveries after Close returned
	overflow int
	errs     []error
}

var nodeSeq sync.Mutex
var nodeCount int

func start(t *testing.T, bus Bus) *node {
	t.Helper()
	nodeSeq.Lock()
	nodeCount++
	id := fmt.Sprintf("node-%d-%s", nodeCount, rand.Text()[:8])
	nodeSeq.Unlock()
	n := &node{b: bus(), id: id, got: make(chan pubsub.Message, 1<<14)}
	_, ok := n.b.(pubsub.Syncer)
	require.True(t, ok, "pubsubtest: the broker must implement pubsub.Syncer")
	require.NoError(t, n.b.Start(id, n.deliver, n.fail))
	t.Cleanup(func() {
		_ = n.b.Close()
		n.mu.Lock()
		defer n.mu.Unlock()
		require.Zero(t, n.late, "deliver called after Close returned")
		require.Zero(t, n.overflow, "test buffer overflow")
	})
	return n
}

func (n *node) deliver(m pubsub.Message) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.late++
		return
	}
	select {
	case n.got <- m:
	default:
		n.overflow++
	}
}

func (n *node) fail(err error) {
	n.mu.Lock()
	n.errs = append(n.errs, err)
	n.mu.Unlock()
}

func (n *node) close(t *testing.T) {
	t.Helper()
	require.NoError(t, n.b.Close())
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
}

// sync waits until what every node did so far is in effect.
func sync_(t *testing.T, nodes ...*node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, n := range nodes {
		require.NoError(t, n.b.(pubsub.Syncer).Sync(ctx), "Sync of %s", n.id)
	}
}

func (n *node) sub(t *testing.T, topics ...string) {
	t.Helper()
	for _, tp := range topics {
		require.NoError(t, n.b.Subscribe(tp))
	}
}

func (n *node) pub(t *testing.T, m pubsub.Message) {
	t.Helper()
	m.Node = n.id
	require.NoError(t, n.b.Publish(m))
}

func text(topic, s string) pubsub.Message { return pubsub.Message{Topic: topic, Data: []byte(s)} }

// next returns the next message n received.
func (n *node) next(t *testing.T) pubsub.Message {
	t.Helper()
	select {
	case m := <-n.got:
		return m
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for a message", "node %s", n.id)
		panic("unreachable")
	}
}

// expect checks the next message n receives is want, from node from.
func (n *node) expect(t *testing.T, from *node, want pubsub.Message) {
	t.Helper()
	got := n.next(t)
	want.Node = from.id
	if want.Data == nil {
		want.Data = []byte{}
	}
	if got.Data == nil {
		got.Data = []byte{}
	}
	require.Equal(t, want.Topic, got.Topic)
	require.Equal(t, want.Namespace, got.Namespace)
	require.Equal(t, want.Binary, got.Binary)
	require.Equal(t, want.Node, got.Node)
	require.Equal(t, want.Event, got.Event, "event name")
	require.Equal(t, want.Comment, got.Comment, "comment")
	require.True(t, bytes.Equal(want.Data, got.Data), "payload differs: got %d bytes, want %d", len(got.Data), len(want.Data))
}

// empty checks n has nothing more waiting.
func (n *node) empty(t *testing.T) {
	t.Helper()
	select {
	case m := <-n.got:
		require.FailNow(t, "unexpected message", "%s got %+v", n.id, m)
	default:
	}
}

func testPublishSubscribe(t *testing.T, bus Bus) {
	a, b, c := start(t, bus), start(t, bus), start(t, bus)
	a.sub(t, "t")
	b.sub(t, "t")
	sync_(t, a, b, c)
	m := pubsub.Message{Topic: "t", Namespace: "/room", Data: []byte("hello")}
	c.pub(t, m)
	a.expect(t, c, m)
	b.expect(t, c, m)
	// A topic nobody subscribes reaches nobody; the marker after it shows
	// it would have arrived by then.
	c.pub(t, text("other", "lost"))
	c.pub(t, text("t", "marker"))
	a.expect(t, c, text("t", "marker"))
	b.expect(t, c, text("t", "marker"))
	c.empty(t)
}

func testUnsubscribe(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "t", "u")
	sync_(t, a, b)
	b.pub(t, text("t", "one"))
	a.expect(t, b, text("t", "one"))
	require.NoError(t, a.b.Unsubscribe("t"))
	sync_(t, a)
	b.pub(t, text("t", "two"))
	b.pub(t, text("u", "marker"))
	a.expect(t, b, text("u", "marker"))
	// Subscribing again works.
	a.sub(t, "t")
	sync_(t, a)
	b.pub(t, text("t", "three"))
	a.expect(t, b, text("t", "three"))
	a.empty(t)
}

func testManyTopics(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	const n = 200
	for i := range n {
		// Topics with dots, spaces, wildcards and non-ASCII are opaque
		// names, not patterns.
		a.sub(t, topicName(i))
	}
	sync_(t, a, b)
	for i := range n {
		b.pub(t, text(topicName(i), strconv.Itoa(i)))
	}
	seen := make(map[string]bool)
	for range n {
		m := a.next(t)
		require.Equal(t, topicName(mustAtoi(t, string(m.Data))), m.Topic)
		seen[m.Topic] = true
	}
	require.Len(t, seen, n)
	b.pub(t, text("not.subscribed.*", "x"))
	b.pub(t, text(topicName(0), "marker"))
	a.expect(t, b, text(topicName(0), "marker"))
}

func topicName(i int) string {
	switch i % 5 {
	case 0:
		return "topic-" + strconv.Itoa(i)
	case 1:
		return "a.b." + strconv.Itoa(i)
	case 2:
		return "room " + strconv.Itoa(i) + " *"
	case 3:
		return "чат>" + strconv.Itoa(i)
	}
	return strconv.Itoa(i) + ":x/y"
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	i, err := strconv.Atoi(s)
	require.NoError(t, err)
	return i
}

func testBinary(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "bin")
	sync_(t, a, b)
	all := make([]byte, 0, 512)
	for i := range 512 {
		all = append(all, byte(i))
	}
	cases := []pubsub.Message{
		{Topic: "bin", Data: all, Binary: true},
		{Topic: "bin", Data: []byte{}, Binary: true},
		{Topic: "bin", Data: []byte{}},
		{Topic: "bin", Data: []byte("line1\r\nline2\rline3\n\x00end")},
		{Topic: "bin", Data: []byte{0xff, 0xfe, 0x00}, Binary: true},
	}
	for _, m := range cases {
		b.pub(t, m)
	}
	for _, m := range cases {
		a.expect(t, b, m)
	}
}

// testEventNames: an SSE event name and comment cross the bus with their
// message, and a message without them arrives without them.
func testEventNames(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "ev")
	sync_(t, a, b)
	cases := []pubsub.Message{
		{Topic: "ev", Data: []byte("x"), Event: "ping"},
		{Topic: "ev", Data: []byte{0, 1}, Binary: true, Event: "bin", Comment: "c\nd"},
		{Topic: "ev", Data: []byte("y"), Comment: "only a comment"},
		{Topic: "ev", Data: []byte("plain")},
		{Topic: "ev", Namespace: "/ns", Data: []byte("é"), Event: "ünï"},
	}
	for _, m := range cases {
		b.pub(t, m)
	}
	for _, m := range cases {
		a.expect(t, b, m)
	}
}

func testLargePayload(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "big")
	sync_(t, a, b)
	// 512 KiB: under NATS's default max_payload of 1 MiB.
	big := make([]byte, 512<<10)
	_, _ = rand.Read(big)
	for range 3 {
		b.pub(t, pubsub.Message{Topic: "big", Data: big, Binary: true})
	}
	for range 3 {
		a.expect(t, b, pubsub.Message{Topic: "big", Data: big, Binary: true})
	}
}

func testConcurrentPublishers(t *testing.T, bus Bus) {
	sub := start(t, bus)
	sub.sub(t, "c")
	pubs := []*node{start(t, bus), start(t, bus), start(t, bus)}
	sync_(t, append(pubs, sub)...)
	const per = 500
	var wg sync.WaitGroup
	errs := make(chan error, len(pubs)*per)
	for _, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := p.b.Publish(pubsub.Message{Topic: "c", Data: []byte(strconv.Itoa(i)), Node: p.id}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	next := make(map[string]int)
	for range len(pubs) * per {
		m := sub.next(t)
		require.Equal(t, next[m.Node], mustAtoi(t, string(m.Data)), "order from %s", m.Node)
		next[m.Node]++
	}
	for _, p := range pubs {
		require.Equal(t, per, next[p.id])
	}
}

func testEchoSuppression(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "e")
	b.sub(t, "e")
	sync_(t, a, b)
	a.pub(t, text("e", "from a"))
	b.expect(t, a, text("e", "from a"))
	b.pub(t, text("e", "from b"))
	a.expect(t, b, text("e", "from b"))
	a.empty(t)
	b.empty(t)
}

func testNamespaces(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "n")
	sync_(t, a, b)
	for _, ns := range []string{"", "/", "/a", "/b", "/a b/ü"} {
		m := pubsub.Message{Topic: "n", Namespace: ns, Data: []byte(ns)}
		b.pub(t, m)
		a.expect(t, b, m)
	}
}

func testClose(t *testing.T, bus Bus) {
	a, b, c := start(t, bus), start(t, bus), start(t, bus)
	a.sub(t, "x")
	b.sub(t, "x")
	sync_(t, a, b, c)
	a.close(t)
	require.NoError(t, a.b.Close(), "a second Close")
	require.Error(t, a.b.Publish(text("x", "after close")))
	require.Error(t, a.b.(pubsub.Syncer).Sync(context.Background()))
	// The others go on; a receives nothing after its Close returned (the
	// node's cleanup checks deliver was not called).
	c.pub(t, text("x", "still here"))
	b.expect(t, c, text("x", "still here"))
	b.pub(t, text("x", "from b"))
	sync_(t, b)
	c.empty(t)
}

func testRequests(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	ra, ok := a.b.(pubsub.Requester)
	if !ok {
		t.Skip("the broker does not implement pubsub.Requester")
	}
	rb := b.b.(pubsub.Requester)
	release := make(chan struct{})
	stop := ra.Handle("echo", func(ctx context.Context, p []byte) []byte {
		if string(p) == "block" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return append([]byte("re:"), p...)
	})
	sync_(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	got, err := rb.Request(ctx, a.id, "echo", []byte("hi\x00\xff"))
	require.NoError(t, err)
	require.Equal(t, "re:hi\x00\xff", string(got))

	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := strconv.Itoa(i)
			got, err := rb.Request(ctx, a.id, "echo", []byte(p))
			if err == nil && string(got) != "re:"+p {
				err = fmt.Errorf("request %s answered %q", p, got)
			}
			require.NoError(t, err)
		}()
	}
	wg.Wait()

	_, err = rb.Request(ctx, "no-such-node", "echo", nil)
	require.ErrorIs(t, err, pubsub.ErrNoNode)
	_, err = rb.Request(ctx, a.id, "no-such-service", nil)
	require.ErrorIs(t, err, pubsub.ErrNoNode)

	// A request whose context ends before the answer returns ctx's error.
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = rb.Request(short, a.id, "echo", []byte("block"))
	cancelShort()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)

	stop()
	_, err = rb.Request(ctx, a.id, "echo", nil)
	require.ErrorIs(t, err, pubsub.ErrNoNode)
}

// testSlowRequests holds more requests in their handler than a networked
// broker runs at once (256), then checks that publishes are still
// delivered: a broker whose reader waited for a free handler stalled
// every delivery behind it. Once released, every request is answered,
// or refused unserved (pubsub.ErrBusy).
func testSlowRequests(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	ra, ok := a.b.(pubsub.Requester)
	if !ok {
		t.Skip("the broker does not implement pubsub.Requester")
	}
	rb := b.b.(pubsub.Requester)
	const held, requests = 256, 300
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(held)
	var n sync.Mutex
	count := 0
	stop := ra.Handle("slow", func(ctx context.Context, p []byte) []byte {
		n.Lock()
		count++
		if count <= held {
			entered.Done()
		}
		n.Unlock()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return p
	})
	defer stop()
	a.sub(t, "t")
	sync_(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	errs := make(chan error, requests)
	for i := range requests {
		go func() {
			p := strconv.Itoa(i)
			got, err := rb.Request(ctx, a.id, "slow", []byte(p))
			if err == nil && string(got) != p {
				err = fmt.Errorf("request %s answered %q", p, got)
			}
			if errors.Is(err, pubsub.ErrBusy) {
				err = nil
			}
			errs <- err
		}()
	}
	waited := make(chan struct{})
	go func() { entered.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(wait):
		close(release)
		require.FailNow(t, "timed out waiting for the handlers to start")
	}
	b.pub(t, text("t", "not held up"))
	select {
	case m := <-a.got:
		close(release)
		require.Equal(t, "not held up", string(m.Data))
	case <-time.After(wait):
		close(release)
		require.FailNow(t, "a publish waited for request handlers to finish (head-of-line blocking)")
	}
	for range requests {
		require.NoError(t, <-errs)
	}
}
