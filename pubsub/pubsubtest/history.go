package pubsubtest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunHistory runs the suite of pubsub.HistoryBroker: positions (one
// order per topic that every node sees, its own publishes included),
// Append, History (since a position, the newest, limits), trimming by
// count, bytes and age (a position no longer covered fails with
// pubsub.ErrNotCovered), epochs, and close. newBus is called once per
// subtest with the limits the subtest needs and must return a bus of its
// own whose brokers keep those limits.
//
// A HistoryBroker delivers a node's own publishes back, so it does not
// pass Run's echo suppression case: run Run on its Pub/Sub-only mode.
//
// unsupported names cases for limits the broker documents it does not
// enforce ("TrimByBytes" for Redis streams); they are skipped.
func RunHistory(t *testing.T, newBus func(t *testing.T, limits pubsub.HistoryLimits) Bus, unsupported ...string) {
	big := pubsub.HistoryLimits{Count: 100000, Bytes: 64 << 20, Age: time.Hour}
	tests := []struct {
		name   string
		limits pubsub.HistoryLimits
		fn     func(*testing.T, Bus)
	}{
		{"Positions", big, testPositions},
		{"OneOrderEverywhere", big, testOneOrder},
		{"History", big, testHistory},
		{"ReadWhilePublishing", big, testReadWhilePublishing},
		{"TrimByCount", pubsub.HistoryLimits{Count: 5, Bytes: -1, Age: -1}, testTrimCount},
		{"TrimByBytes", pubsub.HistoryLimits{Count: -1, Bytes: 100, Age: -1}, testTrimBytes},
		{"TrimByAge", pubsub.HistoryLimits{Count: -1, Bytes: -1, Age: 200 * time.Millisecond}, testTrimAge},
		{"NotCovered", big, testNotCovered},
		{"Fields", big, testHistoryFields},
		{"Close", big, testHistoryClose},
		{"SubscribeRace", big, testSubscribeRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if slices.Contains(unsupported, tc.name) {
				t.Skip("the broker does not enforce this limit (documented)")
			}
			t.Parallel()
			tc.fn(t, newBus(t, tc.limits))
		})
	}
}

func hist(t *testing.T, n *node) pubsub.HistoryBroker {
	t.Helper()
	h, ok := n.b.(pubsub.HistoryBroker)
	require.True(t, ok, "pubsubtest: RunHistory's bus must make pubsub.HistoryBrokers, got %T", n.b)
	return h
}

func (n *node) history(t *testing.T, topic string, since pubsub.Position, limit int) ([]pubsub.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return hist(t, n).History(ctx, topic, since, limit)
}

func (n *node) append(t *testing.T, m pubsub.Message) pubsub.Position {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m.Node = n.id
	p, err := hist(t, n).Append(ctx, m)
	require.NoError(t, err)
	return p
}

// offsets returns the offsets of ms, checking they share one epoch.
func offsets(t *testing.T, ms []pubsub.Message) []uint64 {
	t.Helper()
	var out []uint64
	for _, m := range ms {
		require.Equal(t, ms[0].Position.Epoch, m.Position.Epoch, "one epoch")
		out = append(out, m.Position.Offset)
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// testPositions: each publish gets the next offset of its topic; every
// subscribed node receives it with that position, the publisher too;
// Append returns the position the others receive.
func testPositions(t *testing.T, bus Bus) {
	a, b, c := start(t, bus), start(t, bus), start(t, bus)
	a.sub(t, "p")
	b.sub(t, "p")
	sync_(t, a, b, c)
	c.pub(t, text("p", "one"))
	sync_(t, c) // c's publish is stored before a's append
	pos := a.append(t, text("p", "two"))
	require.NotEmpty(t, pos.Epoch)
	require.Equal(t, uint64(2), pos.Offset)
	for _, n := range []*node{a, b} {
		m1, m2 := n.next(t), n.next(t)
		require.Equal(t, "one", string(m1.Data))
		require.Equal(t, c.id, m1.Node)
		require.Equal(t, pubsub.Position{Epoch: pos.Epoch, Offset: 1}, m1.Position)
		require.Equal(t, "two", string(m2.Data))
		require.Equal(t, a.id, m2.Node, "the publisher's own message comes back to it")
		require.Equal(t, pos, m2.Position)
	}
	// Another topic has offsets of its own.
	other := c.append(t, text("q", "x"))
	require.Equal(t, uint64(1), other.Offset)
	sync_(t, a, b, c)
	a.empty(t)
	b.empty(t)
	c.empty(t)
}

// testSubscribeRace: a publish stored just after a node subscribed,
// before the subscription took effect on the server, and followed by no
// other, still reaches that node (it reads the history once the
// subscription is in effect).
func testSubscribeRace(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	for i := range 5 {
		topic := fmt.Sprint("race", i)
		b.append(t, text(topic, "before"))
		a.sub(t, topic) // no Sync: the subscription may not be in effect yet
		b.append(t, text(topic, "after"))
		m := a.next(t)
		require.Equal(t, "after", string(m.Data), "topic %s", topic)
		require.Equal(t, uint64(2), m.Position.Offset)
	}
	sync_(t, a, b)
	a.empty(t)
}

// testOneOrder: publishers on three nodes at once; both subscribers see
// offsets 1..n with no gap and the very same message at each offset,
// each publisher's messages in its order.
func testOneOrder(t *testing.T, bus Bus) {
	s1, s2 := start(t, bus), start(t, bus)
	s1.sub(t, "o")
	s2.sub(t, "o")
	pubs := []*node{start(t, bus), start(t, bus), s1}
	sync_(t, append(pubs, s2)...)
	const per = 300
	var wg sync.WaitGroup
	for _, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := p.b.Publish(pubsub.Message{Topic: "o", Data: []byte(strconv.Itoa(i)), Node: p.id}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// A publish the broker failed and reported is not an ordering
	// error: say so plainly rather than as a gap in a publisher's order
	// (the topic's stream, or whatever holds its history, is made by
	// these very publishes, three nodes at once).
	sync_(t, pubs...)
	for _, p := range pubs {
		p.mu.Lock()
		errs := slices.Clone(p.errs)
		p.mu.Unlock()
		require.Empty(t, errs, "%s reported failures while publishing", p.id)
		if st, ok := p.b.(interface{ Stats() pubsub.Stats }); ok {
			require.Zero(t, st.Stats().Failed, "%s counted failed publishes", p.id)
		}
	}
	const total = 3 * per
	seen := make([]string, total+1)
	for _, n := range []*node{s1, s2} {
		next := make(map[string]int)
		var epoch string
		for i := range total {
			m := n.next(t)
			if i == 0 {
				epoch = m.Position.Epoch
			}
			require.Equal(t, epoch, m.Position.Epoch)
			require.Equal(t, uint64(i+1), m.Position.Offset, "offsets without gap or repeat at %s", n.id)
			require.Equal(t, next[m.Node], mustAtoi(t, string(m.Data)), "order from %s", m.Node)
			next[m.Node]++
			key := m.Node + "/" + string(m.Data)
			if seen[i+1] == "" {
				seen[i+1] = key
			}
			require.Equal(t, seen[i+1], key, "the same message at offset %d on every node", i+1)
		}
	}
}

func testHistory(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	got, err := a.history(t, "h", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Empty(t, got, "a topic never published has an empty history")
	var last pubsub.Position
	for i := range 10 {
		last = b.append(t, text("h", strconv.Itoa(i+1)))
	}
	all, err := a.history(t, "h", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Equal(t, span(1, 10), offsets(t, all))
	for i, m := range all {
		require.Equal(t, strconv.Itoa(i+1), string(m.Data))
		require.Equal(t, "h", m.Topic)
		require.Equal(t, b.id, m.Node)
	}
	require.Equal(t, last, all[9].Position)
	epoch := last.Epoch
	cases := []struct {
		since pubsub.Position
		limit int
		want  []uint64
	}{
		{pubsub.Position{Epoch: epoch, Offset: 4}, 0, span(5, 10)},
		{pubsub.Position{Epoch: epoch, Offset: 4}, 3, span(5, 7)},
		{pubsub.Position{Epoch: epoch, Offset: 0}, 0, span(1, 10)},
		{pubsub.Position{Epoch: epoch, Offset: 10}, 0, nil},
		{pubsub.Position{}, 3, span(8, 10)},
	}
	for _, c := range cases {
		got, err := a.history(t, "h", c.since, c.limit)
		require.NoError(t, err, "since %v limit %d", c.since, c.limit)
		require.Equal(t, c.want, offsets(t, got), "since %v limit %d", c.since, c.limit)
	}
}

// testReadWhilePublishing: reads of a topic's history while it grows
// return every stored offset after the position asked for, without a
// gap, at least up to what was stored before the read began (a resume
// across nodes reads so while publishes go on).
func testReadWhilePublishing(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	stored := publishN(t, b, "rw", 200, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		publishN(t, b, "rw", 300, 16)
	}()
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				since := pubsub.Position{Epoch: stored.Epoch, Offset: uint64(r*40 + i*7)}
				got, err := a.history(t, "rw", since, 0)
				if !assert.NoError(t, err, "reading after %v", since) {
					return
				}
				offs := offsets(t, got)
				if !assert.GreaterOrEqual(t, len(offs), int(stored.Offset-since.Offset), "read after %v: ends before what was stored when it began (%d)", since, stored.Offset) {
					return
				}
				assert.Equal(t, span(since.Offset+1, since.Offset+uint64(len(offs))), offs, "read after %v: offsets with a gap", since)
			}
		}()
	}
	wg.Wait()
	<-done
}

// publishN appends n messages of size bytes each to topic from n.
func publishN(t *testing.T, from *node, topic string, n, size int) pubsub.Position {
	var last pubsub.Position
	for i := range n {
		data := fmt.Appendf(nil, "%0*d", size, i+1)
		last = from.append(t, pubsub.Message{Topic: topic, Data: data})
	}
	return last
}

func testTrimCount(t *testing.T, bus Bus) {
	a := start(t, bus)
	last := publishN(t, a, "c", 10, 8)
	got, err := a.history(t, "c", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Equal(t, span(6, 10), offsets(t, got), "the newest Count messages are kept")
	got, err = a.history(t, "c", pubsub.Position{Epoch: last.Epoch, Offset: 5}, 0)
	require.NoError(t, err, "everything after offset 5 is kept")
	require.Equal(t, span(6, 10), offsets(t, got))
	_, err = a.history(t, "c", pubsub.Position{Epoch: last.Epoch, Offset: 4}, 0)
	require.ErrorIs(t, err, pubsub.ErrNotCovered, "offset 5 was trimmed")
}

func testTrimBytes(t *testing.T, bus Bus) {
	a := start(t, bus)
	last := publishN(t, a, "b", 10, 30) // 3 fit in 100 bytes
	got, err := a.history(t, "b", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Equal(t, span(8, 10), offsets(t, got))
	_, err = a.history(t, "b", pubsub.Position{Epoch: last.Epoch, Offset: 6}, 0)
	require.ErrorIs(t, err, pubsub.ErrNotCovered)
}

// testTrimAge waits (polling, bounded) for a message to age out.
func testTrimAge(t *testing.T, bus Bus) {
	a := start(t, bus)
	first := a.append(t, text("a", "old"))
	since := pubsub.Position{Epoch: first.Epoch, Offset: 0}
	deadline := time.Now().Add(wait)
	for {
		_, err := a.history(t, "a", since, 0)
		if err != nil {
			require.ErrorIs(t, err, pubsub.ErrNotCovered)
			break
		}
		require.True(t, time.Now().Before(deadline), "a message older than the age limit is still in the history")
		time.Sleep(20 * time.Millisecond)
	}
	got, err := a.history(t, "a", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Empty(t, got)
	// The topic goes on, in its epoch or a new one, with nothing repeated.
	next := a.append(t, text("a", "new"))
	if next.Epoch == first.Epoch {
		require.Greater(t, next.Offset, first.Offset)
	}
	got, err = a.history(t, "a", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, next, got[0].Position)
}

func testNotCovered(t *testing.T, bus Bus) {
	a := start(t, bus)
	last := publishN(t, a, "n", 3, 4)
	for _, since := range []pubsub.Position{
		{Epoch: last.Epoch + "x", Offset: 1}, // another epoch
		{Epoch: last.Epoch, Offset: 99},      // ahead of the history
	} {
		_, err := a.history(t, "n", since, 0)
		require.ErrorIs(t, err, pubsub.ErrNotCovered, "since %v", since)
	}
	_, err := a.history(t, "never-published", pubsub.Position{Epoch: last.Epoch, Offset: 1}, 0)
	require.ErrorIs(t, err, pubsub.ErrNotCovered, "a position in a topic without history")
}

// testHistoryFields: namespace, binary, event name, comment and sender
// are kept, in what is delivered and in the history.
func testHistoryFields(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.sub(t, "f")
	sync_(t, a, b)
	m := pubsub.Message{Topic: "f", Namespace: "/ns", Data: []byte{0, 0xff}, Binary: true, Event: "ev", Comment: "c", Sender: "peer-1"}
	pos := b.append(t, m)
	got := a.next(t)
	h, err := a.history(t, "f", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, h, 1)
	for _, g := range []pubsub.Message{got, h[0]} {
		want := m
		want.Node, want.Position = b.id, pos
		require.Equal(t, want, g)
	}
}

func testHistoryClose(t *testing.T, bus Bus) {
	a, b := start(t, bus), start(t, bus)
	a.append(t, text("x", "1"))
	b.close(t)
	_, err := hist(t, b).Append(context.Background(), text("x", "2"))
	require.Error(t, err)
	_, err = hist(t, b).History(context.Background(), "x", pubsub.Position{}, 0)
	require.Error(t, err)
	got, err := a.history(t, "x", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
}
