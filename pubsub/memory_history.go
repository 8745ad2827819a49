package pubsub

import (
	"container/list"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// NewMemoryHistory returns an in-process bus that keeps a bounded
// history of each topic (nil limits: DefaultHistoryLimits): its brokers
// are HistoryBrokers. A Hub given one of them on its own is a single node
// with history (Hub.History, positions); several Hubs given brokers of
// one bus share topics and positions.
//
// Positions are in-process: the epochs are random, so a restarted process
// starts new ones and no old position is taken for a new one.
func NewMemoryHistory(limits *HistoryLimits) *Memory {
	var l HistoryLimits
	if limits != nil {
		l = *limits
	}
	m := NewMemory()
	m.hist = &memHistory{limits: l.withDefaults(), topics: make(map[string]*memTopic), idle: list.New()}
	return m
}

// memHistory is the bus's per-topic logs.
type memHistory struct {
	limits HistoryLimits

	mu     sync.Mutex
	topics map[string]*memTopic
	idle   *list.List // *memTopic by last append, oldest first: the expiry sweep
}

// memTopic is one topic's log. Appends are ordered under mu; deliveries
// happen outside it, in offset order, by whichever publisher finds no
// other one delivering (drain): no lock is held while a Hub fans out, and
// a publish made from inside a delivery is queued, not deadlocked.
type memTopic struct {
	name string
	elem *list.Element // in memHistory.idle, under its mu
	used time.Time     // last append, under memHistory.mu: the sweep's clock

	mu       sync.Mutex
	epoch    string
	next     uint64 // offset of the next append
	entries  []memEntry
	bytes    int
	pending  []Message // appended, not yet delivered
	draining bool
}

type memEntry struct {
	m  Message
	at time.Time
}

func newEpoch() string { return rand.Text()[:13] }

// topic returns the log of name, made if needed, and moves it to the back
// of the idle list; it forgets a topic whose history has all aged out
// (at most two per call, so the sweep costs O(1) per append).
func (h *memHistory) topic(name string, create bool) *memTopic {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for range 2 {
		e := h.idle.Front()
		if e == nil || h.limits.Age < 0 {
			break
		}
		t := e.Value.(*memTopic)
		if t.name == name || now.Sub(t.used) <= h.limits.Age || t.busy() {
			break
		}
		h.idle.Remove(e)
		delete(h.topics, t.name)
	}
	t := h.topics[name]
	if t == nil {
		if !create {
			return nil
		}
		t = &memTopic{name: name, epoch: newEpoch(), next: 1}
		t.elem = h.idle.PushBack(t)
		h.topics[name] = t
	} else if create {
		h.idle.MoveToBack(t.elem)
	}
	if create {
		// Under h.mu, before the append: the sweep cannot forget a topic
		// between this call and its append.
		t.used = now
	}
	return t
}

// busy reports whether t still has messages to deliver. A topic unused
// for longer than the age limit holds nothing the limits keep; it is
// forgotten once it is not busy either.
func (t *memTopic) busy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.draining
}

// append gives m the next position, keeps it within the limits, and
// queues it for delivery. It reports whether the caller must drain.
func (t *memTopic) append(m Message, l HistoryLimits, now time.Time) (Position, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m.Position = Position{Epoch: t.epoch, Offset: t.next}
	t.next++
	t.entries = append(t.entries, memEntry{m: m, at: now})
	t.bytes += len(m.Data)
	t.trim(l, now)
	t.pending = append(t.pending, m)
	drain := !t.draining
	t.draining = true
	return m.Position, drain
}

// trim drops the oldest entries past any limit.
func (t *memTopic) trim(l HistoryLimits, now time.Time) {
	n := 0
	for n < len(t.entries) {
		e := t.entries[n]
		over := (l.Count >= 0 && len(t.entries)-n > l.Count) ||
			(l.Bytes >= 0 && t.bytes > l.Bytes) ||
			(l.Age >= 0 && now.Sub(e.at) > l.Age)
		if !over {
			break
		}
		t.bytes -= len(e.m.Data)
		n++
	}
	if n > 0 {
		clear(t.entries[:n])
		t.entries = t.entries[n:]
	}
}

// drain delivers what is pending, in order, until nothing is.
func (t *memTopic) drain(deliver func(Message)) {
	for {
		t.mu.Lock()
		batch := t.pending
		t.pending = nil
		if len(batch) == 0 {
			t.draining = false
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		for _, m := range batch {
			deliver(m)
		}
	}
}

// read implements History for one topic.
func (t *memTopic) read(since Position, limit int, l HistoryLimits) ([]Message, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trim(l, time.Now())
	entries := t.entries
	if since.IsZero() {
		if limit > 0 && len(entries) > limit {
			entries = entries[len(entries)-limit:]
		}
		return copyEntries(entries), nil
	}
	top := t.next - 1
	first := t.next - uint64(len(t.entries)) // offset of entries[0]
	switch {
	case since.Epoch != t.epoch:
		return nil, fmt.Errorf("%w: topic %q is at epoch %s, not %s (its history was lost)", ErrNotCovered, t.name, t.epoch, since.Epoch)
	case since.Offset > top:
		return nil, fmt.Errorf("%w: topic %q ends at offset %d, before %d", ErrNotCovered, t.name, top, since.Offset)
	case since.Offset+1 < first:
		return nil, fmt.Errorf("%w: topic %q keeps offsets %d to %d; those after %d up to %d were trimmed", ErrNotCovered, t.name, first, top, since.Offset, first-1)
	}
	entries = entries[since.Offset+1-first:]
	if limit > 0 && len(entries) > limit {
		entries = entries[:limit]
	}
	return copyEntries(entries), nil
}

// copyEntries copies the messages, payloads included, as a networked
// broker's reader would get them.
func copyEntries(es []memEntry) []Message {
	out := make([]Message, len(es))
	for i, e := range es {
		out[i] = e.m
		out[i].Data = append([]byte(nil), e.m.Data...)
	}
	return out
}

// memoryHistoryBroker is a node of a bus with history: publishes get
// positions and come back to their own node too.
type memoryHistoryBroker struct {
	*memoryBroker
}

var _ HistoryBroker = memoryHistoryBroker{}

func (b memoryHistoryBroker) Publish(m Message) error {
	_, err := b.Append(context.Background(), m)
	return err
}

// Append stores m, then delivers it (and whatever other publishers
// queued meanwhile) to every node subscribed to its topic, this one
// included, in offset order. The bus being in-process, it never waits.
func (b memoryHistoryBroker) Append(_ context.Context, m Message) (Position, error) {
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return Position{}, errClosed
	}
	m.Node = b.node
	h := b.bus.hist
	t := h.topic(m.Topic, true)
	pos, drain := t.append(m, h.limits, time.Now())
	if drain {
		t.drain(b.bus.deliverAll)
	}
	return pos, nil
}

func (b memoryHistoryBroker) History(_ context.Context, topic string, since Position, limit int) ([]Message, error) {
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	h := b.bus.hist
	t := h.topic(topic, false)
	if t == nil {
		if since.IsZero() {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: topic %q has no history (none published, or forgotten after %s idle)", ErrNotCovered, topic, h.limits.Age)
	}
	return t.read(since, limit, h.limits)
}

// deliverAll hands m to every node of the bus subscribed to its topic.
func (m *Memory) deliverAll(msg Message) {
	m.mu.RLock()
	nodes := make([]*memoryBroker, 0, len(m.nodes))
	for n := range m.nodes {
		nodes = append(nodes, n)
	}
	m.mu.RUnlock()
	for _, n := range nodes {
		n.receive(msg)
	}
}
