package pubsub

import (
	"context"
	"sync"
	"time"
)

// memPresence is the bus's presence table. A live node's entries never
// expire (its heartbeat is the bus itself: it is in this process); once
// its broker is closed, they last PresenceTTL more, as a networked
// node's last refresh would, and then expire with a leave event. The bus
// has no timer: expired entries go at the next Join, Leave or Members on
// any node, or at ExpirePresence.
type memPresence struct {
	// emit orders the events: held from a change to the end of its
	// delivery, so every watcher sees one order.
	emit sync.Mutex

	mu       sync.Mutex
	ttl      time.Duration
	now      func() time.Time
	topics   map[string]map[memberKey]Member
	dead     map[string]time.Time // node → when its entries expire
	watchers map[*watcher]struct{}
}

type memberKey struct{ node, id string }

type watcher struct{ fn func(PresenceEvent) }

// SetPresenceClock sets the bus's presence TTL (<= 0: DefaultPresenceTTL)
// and clock (nil: time.Now), so a test can make a closed node's entries
// expire without waiting: advance its clock, then call ExpirePresence.
func (m *Memory) SetPresenceClock(ttl time.Duration, now func() time.Time) {
	m.pres.mu.Lock()
	defer m.pres.mu.Unlock()
	m.pres.ttl, m.pres.now = ttl, now
}

// ExpirePresence removes the entries of closed nodes whose TTL has
// passed, announcing each as an expired leave.
func (m *Memory) ExpirePresence() { m.pres.change(nil) }

func (p *memPresence) clock() (time.Time, time.Duration) {
	now, ttl := time.Now, p.ttl
	if p.now != nil {
		now = p.now
	}
	if ttl <= 0 {
		ttl = DefaultPresenceTTL
	}
	return now(), ttl
}

// change runs f on the table (if not nil) after expiring what is due, and
// delivers the events both made, in order.
func (p *memPresence) change(f func() []PresenceEvent) {
	p.emit.Lock()
	defer p.emit.Unlock()
	p.mu.Lock()
	evs := p.expireLocked()
	if f != nil {
		evs = append(evs, f()...)
	}
	ws := make([]*watcher, 0, len(p.watchers))
	for w := range p.watchers {
		ws = append(ws, w)
	}
	p.mu.Unlock()
	for _, e := range evs {
		for _, w := range ws {
			w.fn(e)
		}
	}
}

func (p *memPresence) expireLocked() []PresenceEvent {
	if len(p.dead) == 0 {
		return nil
	}
	now, _ := p.clock()
	var evs []PresenceEvent
	for node, at := range p.dead {
		if now.Before(at) {
			continue
		}
		delete(p.dead, node)
		for topic, ms := range p.topics {
			for k, m := range ms {
				if k.node == node {
					delete(ms, k)
					evs = append(evs, PresenceEvent{Topic: topic, Member: m, Expired: true})
				}
			}
			if len(ms) == 0 {
				delete(p.topics, topic)
			}
		}
	}
	return evs
}

// nodeGone starts the TTL of a closed broker's entries and drops its
// watchers (waiting for a delivery in progress: none runs after Close).
func (p *memPresence) nodeGone(b *memoryBroker) {
	p.emit.Lock()
	defer p.emit.Unlock()
	b.mu.Lock()
	node := b.node
	for w := range b.watching {
		delete(b.watching, w)
		p.mu.Lock()
		delete(p.watchers, w)
		p.mu.Unlock()
	}
	b.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if node == "" {
		return
	}
	now, ttl := p.clock()
	if p.dead == nil {
		p.dead = make(map[string]time.Time)
	}
	p.dead[node] = now.Add(ttl)
}

func (b *memoryBroker) live() (string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed || b.node == "" {
		return "", errClosed
	}
	return b.node, nil
}

func (b *memoryBroker) Join(_ context.Context, topic string, m Member) error {
	node, err := b.live()
	if err != nil {
		return err
	}
	m.Node = node
	m.Info = append([]byte(nil), m.Info...)
	p := &b.bus.pres
	p.change(func() []PresenceEvent {
		if p.topics == nil {
			p.topics = make(map[string]map[memberKey]Member)
		}
		ms := p.topics[topic]
		if ms == nil {
			ms = make(map[memberKey]Member)
			p.topics[topic] = ms
		}
		k := memberKey{m.Node, m.ID}
		_, had := ms[k]
		ms[k] = m
		if had {
			return nil
		}
		return []PresenceEvent{{Topic: topic, Join: true, Member: m}}
	})
	return nil
}

func (b *memoryBroker) Leave(_ context.Context, topic string, m Member) error {
	node, err := b.live()
	if err != nil {
		return err
	}
	p := &b.bus.pres
	p.change(func() []PresenceEvent {
		k := memberKey{node, m.ID}
		old, had := p.topics[topic][k]
		if !had {
			return nil
		}
		delete(p.topics[topic], k)
		if len(p.topics[topic]) == 0 {
			delete(p.topics, topic)
		}
		return []PresenceEvent{{Topic: topic, Member: old}}
	})
	return nil
}

func (b *memoryBroker) Members(_ context.Context, topic string) ([]Member, error) {
	if _, err := b.live(); err != nil {
		return nil, err
	}
	p := &b.bus.pres
	var out []Member
	p.change(func() []PresenceEvent {
		for _, m := range p.topics[topic] {
			m.Info = append([]byte(nil), m.Info...)
			out = append(out, m)
		}
		return nil
	})
	SortMembers(out)
	return out, nil
}

func (b *memoryBroker) Count(_ context.Context, topic string) (int, error) {
	if _, err := b.live(); err != nil {
		return 0, err
	}
	p := &b.bus.pres
	var n int
	p.change(func() []PresenceEvent {
		n = len(p.topics[topic])
		return nil
	})
	return n, nil
}

func (b *memoryBroker) WatchPresence(fn func(PresenceEvent)) (stop func()) {
	w := &watcher{fn: fn}
	p := &b.bus.pres
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return func() {}
	}
	if b.watching == nil {
		b.watching = make(map[*watcher]struct{})
	}
	b.watching[w] = struct{}{}
	p.mu.Lock()
	if p.watchers == nil {
		p.watchers = make(map[*watcher]struct{})
	}
	p.watchers[w] = struct{}{}
	p.mu.Unlock()
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.watching, w)
		b.mu.Unlock()
		p.mu.Lock()
		delete(p.watchers, w)
		p.mu.Unlock()
	}
}
