package anyws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Member is one peer present in a topic: its id, node, namespace and the
// Info the application attached (PresenceOptions.Info).
type Member = pubsub.Member

// PresenceEvent is a join or a leave, on any node (PresenceOptions.Change).
type PresenceEvent = pubsub.PresenceEvent

// ErrNoPresence is returned by Hub.Presence when presence is off: not
// asked for (Options.Presence), or the broker does not keep it
// (pubsub.Presence), or did not start.
var ErrNoPresence = errors.New("anyws: presence is off: set Options.Presence, with a broker that implements pubsub.Presence")

// PresenceOptions turn on presence (Options.Presence): every peer that
// subscribes to a topic is a member of it, on every node, until it
// unsubscribes or closes, or its node dies (the broker's TTL).
type PresenceOptions struct {
	// Info returns the small JSON document a member carries (a user
	// name, an avatar), or nil. It is called once per join, on the
	// Hub's presence goroutine, not on the peer's.
	Info func(p *Peer, topic string) []byte
	// Change, if set, is called for every join and leave on any node,
	// this one's included, one at a time, from the broker's goroutines.
	// Keep it short: it delays the next events. It must not close the
	// Hub.
	Change func(PresenceEvent)
}

// presenceTimeout bounds one Join or Leave, and the leaves Shutdown
// still sends.
const presenceTimeout = 10 * time.Second

// presence keeps this Hub's peers' memberships on the broker. Joins and
// leaves go through one queue and one goroutine, in the order the peers
// made them, so Subscribe never waits for the network.
type presence struct {
	hub       *Hub
	p         pubsub.Presence
	own       pubsub.Broker // a Hub without broker: its private memory bus
	stopWatch func()

	mu      sync.Mutex
	ops     []presenceOp
	closing bool
	wake    chan struct{}
	done    chan struct{}
}

type presenceOp struct {
	join  bool
	peer  *Peer
	topic string
}

// startPresence turns presence on when Options.Presence asks for it.
func (h *Hub) startPresence() {
	o := h.opts.Presence
	if o == nil {
		return
	}
	pr := &presence{hub: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	switch {
	case h.opts.Broker == nil:
		b := pubsub.NewMemory().Broker()
		if err := b.Start(h.opts.NodeID, func(pubsub.Message) {}, func(error) {}); err != nil {
			h.reportError(nil, fmt.Errorf("anyws: presence: %w", err))
			return
		}
		pr.own, pr.p = b, b.(pubsub.Presence)
	case h.broker == nil:
		return // the broker did not start: reported
	default:
		p, ok := h.broker.(pubsub.Presence)
		if !ok {
			h.reportError(nil, fmt.Errorf("anyws: presence: the broker (%T) does not implement pubsub.Presence", h.broker))
			return
		}
		pr.p = p
	}
	// Watch even without Change: a broker that keeps its table from
	// events (NATS) starts listening now, not at the first Presence.
	change := o.Change
	if change == nil {
		change = func(PresenceEvent) {}
	}
	pr.stopWatch = pr.p.WatchPresence(change)
	h.pres = pr
	go pr.run()
}

// Presence returns who subscribes to topic on every node of the
// broker: each peer once per node it is on. A peer's join reaches the
// broker shortly after its Subscribe (PresenceOptions.Change tells
// when). It fails with ErrNoPresence when presence is off.
func (h *Hub) Presence(ctx context.Context, topic string) ([]Member, error) {
	if h.pres == nil {
		return nil, ErrNoPresence
	}
	return h.pres.p.Members(ctx, topic)
}

// PresenceCount returns how many peers subscribe to topic on every node
// of the broker (each peer once per node it is on): the cluster-wide
// subscriber count, where Subscribers counts this node's. It costs one
// round trip on Redis (ZCOUNT, whatever the topic's size) and none on
// NATS or the memory bus (each node keeps the table), so it may be
// called per request. Like Presence, it needs Options.Presence (else
// ErrNoPresence) and lags a Subscribe by the join's trip to the broker.
func (h *Hub) PresenceCount(ctx context.Context, topic string) (int, error) {
	if h.pres == nil {
		return 0, ErrNoPresence
	}
	return h.pres.p.Count(ctx, topic)
}

func (pr *presence) push(op presenceOp) {
	pr.mu.Lock()
	if !pr.closing {
		pr.ops = append(pr.ops, op)
	}
	pr.mu.Unlock()
	select {
	case pr.wake <- struct{}{}:
	default:
	}
}

func (pr *presence) run() {
	defer close(pr.done)
	var drain context.Context
	for {
		pr.mu.Lock()
		ops, closing := pr.ops, pr.closing
		pr.ops = nil
		pr.mu.Unlock()
		if closing && drain == nil {
			var cancel context.CancelFunc
			drain, cancel = context.WithTimeout(context.Background(), presenceTimeout)
			defer cancel()
		}
		for _, op := range ops {
			pr.apply(drain, op)
		}
		if closing {
			pr.mu.Lock()
			n := len(pr.ops)
			pr.mu.Unlock()
			if n == 0 {
				return
			}
			continue
		}
		<-pr.wake
	}
}

// apply sends one join or leave; ctx, when not nil, bounds the drain at
// shutdown.
func (pr *presence) apply(ctx context.Context, op presenceOp) {
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), presenceTimeout)
		defer cancel()
	}
	m := Member{ID: op.peer.id, Namespace: op.peer.ns}
	var err error
	if op.join {
		if f := pr.hub.opts.Presence.Info; f != nil {
			m.Info = f(op.peer, op.topic)
		}
		err = pr.p.Join(ctx, op.topic, m)
	} else {
		err = pr.p.Leave(ctx, op.topic, m)
	}
	if err != nil {
		verb := "leave"
		if op.join {
			verb = "join"
		}
		pr.hub.reportError(nil, fmt.Errorf("anyws: presence %s %q: %w", verb, op.topic, err))
	}
}

// presenceJoin and presenceLeave queue a peer's change (hub.go's
// subscribe and unsubscribe call them when presence is on).
func (h *Hub) presenceJoin(p *Peer, topic string) { h.pres.push(presenceOp{true, p, topic}) }

func (h *Hub) presenceLeave(p *Peer, topic string) { h.pres.push(presenceOp{false, p, topic}) }

// stopPresence sends the leaves still queued (within presenceTimeout)
// and stops, before the broker closes.
func (h *Hub) stopPresence() {
	pr := h.pres
	if pr == nil {
		return
	}
	pr.mu.Lock()
	pr.closing = true
	pr.mu.Unlock()
	select {
	case pr.wake <- struct{}{}:
	default:
	}
	<-pr.done
	pr.stopWatch()
	if pr.own != nil {
		_ = pr.own.Close()
	}
}
