// Package catchup gives a history broker's subscribers what the
// pubsub.HistoryBroker contract promises, each message once and in
// position order per topic, from a subscription that may skip messages
// (a connection lost and restored, a server restarted) or, on NATS,
// receive two publishers' messages swapped.
//
// A Tracker keeps each subscribed topic's last delivered position. A
// message right after it is delivered; an older one is a repeat and
// dropped; a newer one is held until the ones before it arrive or, after
// a short wait, are read from the history. After a reconnect the broker
// calls Behind, and every topic is read from its last position, so what
// was published while the node was away is delivered, in order, before
// what comes next. Start with New.
package catchup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Reader reads a topic's history after since (pubsub.HistoryBroker's
// History, all of it).
type Reader func(ctx context.Context, topic string, since pubsub.Position) ([]pubsub.Message, error)

const (
	// hold is how long a message ahead of a gap waits for the missing
	// ones to arrive by themselves before they are read from the history.
	hold = 100 * time.Millisecond
	// maxHeld bounds the messages held per topic: past it the gap is read
	// at once.
	maxHeld = 4096
	// retry is the pause after a failed read of the history.
	retry = 250 * time.Millisecond
	// readTimeout bounds one read of the history.
	readTimeout = 10 * time.Second
)

// Tracker orders one node's deliveries. Its methods may be called from
// any goroutine; deliveries are serialized, made from the goroutine that
// called Receive or from the Tracker's own.
type Tracker struct {
	name    string // the broker's package, for error texts
	read    Reader
	deliver func(pubsub.Message)
	fail    func(error)

	dmu sync.Mutex // serializes deliveries and reads of the history

	mu     sync.Mutex
	topics map[string]*topic
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// topic is one subscribed topic's state; under Tracker.mu.
type topic struct {
	last   pubsub.Position // last delivered; zero: nothing yet
	start  bool            // no position yet, but deliver the topic from its start (it had no history when subscribed)
	held   []pubsub.Message
	heldAt time.Time // when the oldest held message arrived
	behind bool      // read the history after last
	after  time.Time // not before (after a failed read)
}

// New returns a running Tracker; Close stops it. deliver is the broker's
// delivery (it counts, and checks the broker is open); fail reports a
// loss the history could not cover.
func New(name string, read Reader, deliver func(pubsub.Message), fail func(error)) *Tracker {
	t := &Tracker{name: name, read: read, deliver: deliver, fail: fail,
		topics: make(map[string]*topic), wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	go t.run()
	return t
}

// Close stops the Tracker's goroutine and waits for it.
func (t *Tracker) Close() {
	t.cancel()
	<-t.done
}

// Subscribe starts tracking topic from top, the newest position in its
// history before the subscription took effect (zero: it had none, so
// deliver it from its start). Messages published after top and before
// the subscription took effect are read from the history when the first
// live one arrives. Call it before subscribing on the server; known is
// false when top could not be read (then the topic starts at the first
// message that arrives).
func (t *Tracker) Subscribe(name string, top pubsub.Position, known bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.topics[name]; ok {
		return
	}
	t.topics[name] = &topic{last: top, start: known && top.IsZero()}
}

// Unsubscribe stops tracking topic.
func (t *Tracker) Unsubscribe(topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.topics, topic)
}

// Recheck has topics read from their last position: the broker calls it
// once a new subscription took effect on the server, for what was
// published after Subscribe's baseline and before then (no live message
// shows that gap until the next one comes).
func (t *Tracker) Recheck(topics []string) {
	t.mu.Lock()
	for _, name := range topics {
		if tp := t.topics[name]; tp != nil && (!tp.last.IsZero() || tp.start) {
			tp.behind, tp.after = true, time.Time{}
		}
	}
	t.mu.Unlock()
	t.poke()
}

// Behind has every topic read from its last position: the broker calls
// it once its subscriptions are back after a reconnect.
func (t *Tracker) Behind() {
	t.mu.Lock()
	for _, tp := range t.topics {
		if !tp.last.IsZero() || tp.start {
			tp.behind, tp.after = true, time.Time{}
		}
	}
	t.mu.Unlock()
	t.poke()
}

func (t *Tracker) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Receive takes one message from the subscription.
func (t *Tracker) Receive(m pubsub.Message) {
	t.dmu.Lock()
	defer t.dmu.Unlock()
	t.mu.Lock()
	tp := t.topics[m.Topic]
	if tp == nil {
		t.mu.Unlock()
		return // unsubscribed meanwhile
	}
	out, gap := tp.accept(m)
	if gap && len(tp.held) > maxHeld {
		tp.behind = true
	}
	t.mu.Unlock()
	for _, m := range out {
		t.deliver(m)
	}
	if gap {
		t.poke()
	}
}

// accept applies m to tp and returns what can be delivered now, and
// whether m is held ahead of a gap.
func (tp *topic) accept(m pubsub.Message) ([]pubsub.Message, bool) {
	p := m.Position
	switch {
	case tp.last.IsZero() && !tp.start:
		// Nothing to compare with (the baseline read failed): start here.
	case tp.last.IsZero() || p.Epoch != tp.last.Epoch:
		// From the topic's start, or a new epoch (the history was lost
		// and started again): offsets count from 1.
		if p.Offset != 1 {
			return nil, tp.hold(m)
		}
	case p.Offset <= tp.last.Offset:
		return nil, false // a repeat
	case p.Offset != tp.last.Offset+1:
		return nil, tp.hold(m)
	}
	tp.last, tp.start = p, false
	out := []pubsub.Message{m}
	return tp.release(out), len(tp.held) > 0
}

func (tp *topic) hold(m pubsub.Message) bool {
	if len(tp.held) == 0 {
		tp.heldAt = time.Now()
	}
	i, found := slices.BinarySearchFunc(tp.held, m.Position.Offset, func(h pubsub.Message, off uint64) int {
		return compare(h.Position.Offset, off)
	})
	if !found {
		tp.held = slices.Insert(tp.held, i, m)
	}
	return true
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// release appends to out the held messages that follow last, in order.
func (tp *topic) release(out []pubsub.Message) []pubsub.Message {
	n := 0
	for _, h := range tp.held {
		if h.Position.Epoch != tp.last.Epoch || h.Position.Offset > tp.last.Offset+1 {
			break
		}
		n++
		if h.Position.Offset == tp.last.Offset+1 {
			tp.last = h.Position
			out = append(out, h)
		}
	}
	tp.held = tp.held[n:]
	if len(tp.held) == 0 {
		tp.held = nil
	} else {
		tp.heldAt = time.Now()
	}
	return out
}

// run reads the history of topics that are behind or whose gap waited
// long enough.
func (t *Tracker) run() {
	defer close(t.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := t.fill()
		timer.Reset(next)
		select {
		case <-t.ctx.Done():
			return
		case <-t.wake:
		case <-timer.C:
		}
	}
}

// fill reads the history of every topic that needs it and returns when
// to look again.
func (t *Tracker) fill() time.Duration {
	next := time.Hour
	now := time.Now()
	var due []string
	t.mu.Lock()
	for name, tp := range t.topics {
		var at time.Time
		switch {
		case tp.behind:
			at = tp.after // zero: now
		case len(tp.held) > 0:
			at = tp.heldAt.Add(hold)
		default:
			continue
		}
		if d := at.Sub(now); d > 0 {
			next = min(next, d)
			continue
		}
		due = append(due, name)
	}
	t.mu.Unlock()
	for _, name := range due {
		if t.ctx.Err() != nil {
			break
		}
		if !t.fillTopic(name) {
			next = min(next, retry)
		}
	}
	return next
}

// fillTopic reads topic's history after its last position and delivers
// it with what was held. It reports false when the read failed and must
// be tried again.
func (t *Tracker) fillTopic(name string) bool {
	t.dmu.Lock()
	defer t.dmu.Unlock()
	t.mu.Lock()
	tp := t.topics[name]
	if tp == nil {
		t.mu.Unlock()
		return true
	}
	since := tp.last
	var lostEpoch error
	if len(tp.held) > 0 && tp.held[0].Position.Epoch != since.Epoch {
		if !since.IsZero() {
			lostEpoch = fmt.Errorf("%s: topic %q: its history was lost and started again (epoch %s, then %s): messages after %v may be missed", t.name, name, since.Epoch, tp.held[0].Position.Epoch, since)
		}
		since = pubsub.Position{Epoch: tp.held[0].Position.Epoch} // from the new epoch's start
	}
	t.mu.Unlock()
	if lostEpoch != nil {
		t.fail(lostEpoch)
	}
	ctx, cancel := context.WithTimeout(t.ctx, readTimeout)
	msgs, err := t.read(ctx, name, since)
	cancel()
	t.mu.Lock()
	if t.topics[name] != tp {
		t.mu.Unlock()
		return true
	}
	var out []pubsub.Message
	var lost error
	switch {
	case err == nil:
		if (since.IsZero() || since.Epoch != tp.last.Epoch) && len(msgs) > 0 {
			// From the topic's start: what the history keeps of it.
			f := msgs[0].Position
			tp.last, tp.start = pubsub.Position{Epoch: f.Epoch, Offset: f.Offset - 1}, false
		}
		for _, m := range msgs {
			o, _ := tp.accept(m)
			out = append(out, o...)
		}
		tp.behind = false
		if len(tp.held) > 0 {
			// Still a gap before what is held: those were stored after
			// the read. Wait for the rest again.
			tp.heldAt = time.Now()
		}
	case errors.Is(err, pubsub.ErrNotCovered):
		// What was missed is gone: say so, and go on from what is held
		// (or from the next message to arrive).
		lost = fmt.Errorf("%s: topic %q: messages after %v missed and no longer in the history: %w", t.name, name, since, err)
		tp.behind = false
		if len(tp.held) > 0 {
			h := tp.held[0].Position
			tp.last, tp.start = pubsub.Position{Epoch: h.Epoch, Offset: h.Offset - 1}, false
			out = tp.release(nil)
		} else {
			tp.last, tp.start = pubsub.Position{}, false
		}
	default:
		if t.ctx.Err() == nil {
			tp.behind, tp.after = true, time.Now().Add(retry)
		}
	}
	t.mu.Unlock()
	if lost != nil {
		t.fail(lost) // before what comes after the loss
	}
	for _, m := range out {
		t.deliver(m)
	}
	return err == nil || errors.Is(err, pubsub.ErrNotCovered)
}
