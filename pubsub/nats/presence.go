package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
	gonats "github.com/nats-io/nats.go"
)

var _ pubsub.Presence = (*Broker)(nil)

// Presence on NATS needs no JetStream: every node keeps the table of
// every node's members in memory, from the events each node publishes
// on <prefix>.p (a join, a leave, and every TTL/3 a heartbeat with the
// node's whole list, which also repairs events lost in an outage). A
// node not heard from for the TTL is dead: each node drops its members
// on its own, with an expired leave. A node that starts says hello and
// the others send their heartbeat at once. Expiry uses each node's own
// clock only. A heartbeat carries every member of its node: keep Info
// small, and a node's members × their size under NATS's max payload
// (1 MiB by default).

type presenceWire struct {
	Kind  string        `json:"k"` // "j" join, "l" leave, "h" heartbeat, "hello"
	Node  string        `json:"n"`
	Topic string        `json:"t,omitempty"`
	M     pubsub.Member `json:"m,omitzero"`
	All   []topicMember `json:"all,omitempty"`
}

type topicMember struct {
	Topic string        `json:"t"`
	M     pubsub.Member `json:"m"`
}

type remoteNode struct {
	seen    time.Time
	members map[string]map[string]pubsub.Member // topic → id → member
}

// presenceState is a broker's presence; its loop starts at the first
// Join, Leave, Members or WatchPresence.
type presenceState struct {
	once sync.Once
	ttl  time.Duration

	ownMu sync.Mutex                          // orders this node's events and heartbeats
	own   map[string]map[string]pubsub.Member // topic → id → member

	mu       sync.Mutex
	nodes    map[string]*remoteNode // every node's members, this one's included
	watchers map[*func(pubsub.PresenceEvent)]struct{}
	sub      *gonats.Subscription
	stopped  bool
	done     chan struct{}
}

func (b *Broker) presenceSubject() string { return b.prefix + ".p" }

func (b *Broker) presence() (*presenceState, error) {
	if !b.usable() {
		return nil, errClosed
	}
	p := &b.pres
	p.once.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.stopped {
			return
		}
		if p.ttl <= 0 {
			p.ttl = pubsub.DefaultPresenceTTL
		}
		p.own = make(map[string]map[string]pubsub.Member)
		p.nodes = make(map[string]*remoteNode)
		p.watchers = make(map[*func(pubsub.PresenceEvent)]struct{})
		ch := make(chan *gonats.Msg, 4096)
		sub, err := b.nc.ChanSubscribe(b.presenceSubject(), ch)
		if err != nil {
			b.fail(fmt.Errorf("nats: presence: subscribe: %w", err))
			return
		}
		p.sub, p.done = sub, make(chan struct{})
		go b.presenceLoop(ch)
		_ = b.sendPresence(presenceWire{Kind: "hello"})
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.sub == nil {
		return nil, errClosed
	}
	return p, nil
}

// stopPresence ends the loop (Close). Nothing says leave: the other
// nodes expire this one's members after the TTL, as for a killed node;
// the Hub said Leave for each before closing its broker.
func (b *Broker) stopPresence() {
	p := &b.pres
	p.mu.Lock()
	p.stopped = true
	sub, done := p.sub, p.done
	p.mu.Unlock()
	if sub != nil {
		_ = sub.Unsubscribe()
		<-done
	}
}

func (b *Broker) sendPresence(w presenceWire) error {
	w.Node = b.node
	data, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("nats: presence: %w", err)
	}
	if err := b.nc.Publish(b.presenceSubject(), data); err != nil {
		return fmt.Errorf("nats: presence: %w", err)
	}
	return nil
}

func (b *Broker) Join(_ context.Context, topic string, m pubsub.Member) error {
	p, err := b.presence()
	if err != nil {
		return err
	}
	m.Node = b.node
	p.ownMu.Lock()
	defer p.ownMu.Unlock()
	if p.own[topic] == nil {
		p.own[topic] = make(map[string]pubsub.Member)
	}
	p.own[topic][m.ID] = m
	return b.sendPresence(presenceWire{Kind: "j", Topic: topic, M: m})
}

func (b *Broker) Leave(_ context.Context, topic string, m pubsub.Member) error {
	p, err := b.presence()
	if err != nil {
		return err
	}
	p.ownMu.Lock()
	defer p.ownMu.Unlock()
	old, had := p.own[topic][m.ID]
	if !had {
		return nil
	}
	delete(p.own[topic], m.ID)
	if len(p.own[topic]) == 0 {
		delete(p.own, topic)
	}
	return b.sendPresence(presenceWire{Kind: "l", Topic: topic, M: old})
}

// heartbeat sends this node's whole list.
func (b *Broker) heartbeat(p *presenceState) error {
	p.ownMu.Lock()
	defer p.ownMu.Unlock()
	all := []topicMember{}
	for t, ms := range p.own {
		for _, m := range ms {
			all = append(all, topicMember{t, m})
		}
	}
	return b.sendPresence(presenceWire{Kind: "h", All: all})
}

// Members reads this node's table: what the events told it so far.
func (b *Broker) Members(_ context.Context, topic string) ([]pubsub.Member, error) {
	p, err := b.presence()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	var out []pubsub.Member
	for _, n := range p.nodes {
		for _, m := range n.members[topic] {
			out = append(out, m)
		}
	}
	p.mu.Unlock()
	pubsub.SortMembers(out)
	return out, nil
}

// Count reads this node's table, as Members does, without copying it.
func (b *Broker) Count(_ context.Context, topic string) (int, error) {
	p, err := b.presence()
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, nd := range p.nodes {
		n += len(nd.members[topic])
	}
	return n, nil
}

func (b *Broker) WatchPresence(fn func(pubsub.PresenceEvent)) (stop func()) {
	p, err := b.presence()
	if err != nil {
		return func() {}
	}
	w := &fn
	p.mu.Lock()
	p.watchers[w] = struct{}{}
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.watchers, w)
		p.mu.Unlock()
	}
}

// presenceLoop applies the events to the table and tells the watchers,
// one at a time, and every TTL/3 sends this node's heartbeat and drops
// the nodes not heard from for the TTL.
func (b *Broker) presenceLoop(ch chan *gonats.Msg) {
	p := &b.pres
	defer close(p.done)
	t := time.NewTicker(p.ttl / 3)
	defer t.Stop()
	for {
		var evs []pubsub.PresenceEvent
		select {
		case <-b.ctx.Done():
			return
		case msg := <-ch:
			var w presenceWire
			if err := json.Unmarshal(msg.Data, &w); err != nil {
				b.fail(fmt.Errorf("nats: presence: bad event: %w", err))
				continue
			}
			if w.Kind == "hello" {
				if err := b.heartbeat(p); err != nil {
					b.fail(err)
				}
				continue
			}
			evs = p.apply(w, time.Now())
		case now := <-t.C:
			if err := b.heartbeat(p); err != nil {
				b.fail(err)
			}
			evs = p.expire(b.node, now)
		}
		p.mu.Lock()
		fns := make([]func(pubsub.PresenceEvent), 0, len(p.watchers))
		for f := range p.watchers {
			fns = append(fns, *f)
		}
		p.mu.Unlock()
		for _, e := range evs {
			for _, f := range fns {
				f(e)
			}
		}
	}
}

// apply records w in the table and returns the events it makes.
func (p *presenceState) apply(w presenceWire, now time.Time) []pubsub.PresenceEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.nodes[w.Node]
	if n == nil {
		n = &remoteNode{members: make(map[string]map[string]pubsub.Member)}
		p.nodes[w.Node] = n
	}
	n.seen = now
	var evs []pubsub.PresenceEvent
	add := func(topic string, m pubsub.Member) {
		if n.members[topic] == nil {
			n.members[topic] = make(map[string]pubsub.Member)
		}
		_, had := n.members[topic][m.ID]
		n.members[topic][m.ID] = m
		if !had {
			evs = append(evs, pubsub.PresenceEvent{Topic: topic, Join: true, Member: m})
		}
	}
	remove := func(topic, id string, expired bool) {
		m, had := n.members[topic][id]
		if !had {
			return
		}
		delete(n.members[topic], id)
		if len(n.members[topic]) == 0 {
			delete(n.members, topic)
		}
		evs = append(evs, pubsub.PresenceEvent{Topic: topic, Member: m, Expired: expired})
	}
	switch w.Kind {
	case "j":
		add(w.Topic, w.M)
	case "l":
		remove(w.Topic, w.M.ID, false)
	case "h":
		// The whole list: add what is missing, remove what is no longer
		// there (events lost while the connection was down).
		keep := make(map[string]map[string]bool)
		for _, tm := range w.All {
			add(tm.Topic, tm.M)
			if keep[tm.Topic] == nil {
				keep[tm.Topic] = make(map[string]bool)
			}
			keep[tm.Topic][tm.M.ID] = true
		}
		for topic, ms := range n.members {
			for id := range ms {
				if !keep[topic][id] {
					remove(topic, id, false)
				}
			}
		}
	}
	return evs
}

// expire drops the nodes (other than self) not heard from for the TTL.
func (p *presenceState) expire(self string, now time.Time) []pubsub.PresenceEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	var evs []pubsub.PresenceEvent
	for node, n := range p.nodes {
		if node == self || now.Sub(n.seen) < p.ttl {
			continue
		}
		for topic, ms := range n.members {
			for _, m := range ms {
				evs = append(evs, pubsub.PresenceEvent{Topic: topic, Member: m, Expired: true})
			}
		}
		delete(p.nodes, node)
	}
	return evs
}
