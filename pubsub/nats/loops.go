package nats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/wire"
	gonats "github.com/nats-io/nats.go"
)

// readLoop delivers what every topic subscription received, in the order
// the connection received it.
func (b *Broker) readLoop() {
	defer b.wg.Done()
	for {
		select {
		case <-b.ctx.Done():
			return
		case msg := <-b.msgs:
			e, err := wire.Decode(msg.Data)
			if err != nil || e.Kind != wire.KindPublish || !b.topics.Wanted(e.Msg.Topic) {
				continue
			}
			if b.hist == nil && e.Msg.Node == b.node {
				continue // in history mode a node's own publishes come back too
			}
			if b.hist != nil {
				pos, ok := positionOf(msg) // history.go
				if !ok {
					continue
				}
				e.Msg.Position = pos
				b.track.Receive(e.Msg) // in order, once, gaps filled
				continue
			}
			b.deliverCounted(e.Msg)
		}
	}
}

// deliverCounted hands m to the Hub unless the broker is closing.
func (b *Broker) deliverCounted(m pubsub.Message) {
	if b.gate.Enter() {
		b.stats.Delivered.Add(1)
		b.deliver(m)
		b.gate.Leave()
	}
}

// controlLoop applies Subscribe and Unsubscribe, and answers Sync.
// nats.go keeps subscriptions made while disconnected and restores them
// all after a reconnect.
func (b *Broker) controlLoop() {
	defer b.wg.Done()
	defer func() {
		b.countDrops()
		for _, s := range b.subs {
			_ = s.Unsubscribe()
		}
	}()
	// While subscriptions drop messages, their drops are counted every
	// recheck, until a count finds no new ones: nats.go reports only the
	// start of a slow-consumer episode.
	recheck := time.NewTimer(time.Hour)
	recheck.Stop()
	defer recheck.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.topics.Wake():
			b.apply()
		case done := <-b.syncReq:
			b.apply()
			b.countDrops()
			done <- nil
		case <-b.reconnected: // history mode only (nil channel otherwise)
			b.caughtUp()
		case <-b.dropPoke:
			b.countDrops()
			recheck.Reset(dropRecheck)
		case <-recheck.C:
			if b.countDrops() > 0 {
				recheck.Reset(dropRecheck)
			}
		}
	}
}

// dropRecheck is how often drops are counted during a slow-consumer
// episode.
const dropRecheck = 100 * time.Millisecond

// countDrops counts and reports the messages nats.go dropped because the
// receive buffer was full since the last count, on the control loop.
func (b *Broker) countDrops() int {
	n := 0
	for _, s := range b.subs {
		n += b.subDrops(s)
	}
	if n > 0 {
		b.stats.Failed.Add(uint64(n))
		b.fail(fmt.Errorf("nats: %d messages from other nodes dropped: the receive buffer (Options.ReceiveBuffer, %d messages) was full; this node delivers more slowly than they publish", n, b.rbuf))
	}
	return n
}

// subDrops returns s's drops since the last count.
func (b *Broker) subDrops(s *gonats.Subscription) int {
	d, err := s.Dropped()
	if err != nil || d <= b.dropped[s] {
		return 0
	}
	n := d - b.dropped[s]
	b.dropped[s] = d
	return n
}

func (b *Broker) apply() {
	add, remove := b.topics.Diff()
	for _, t := range remove {
		if s := b.subs[t]; s != nil {
			if n := b.subDrops(s); n > 0 {
				b.stats.Failed.Add(uint64(n))
				b.fail(fmt.Errorf("nats: %d messages from other nodes dropped: the receive buffer (Options.ReceiveBuffer, %d messages) was full", n, b.rbuf))
			}
			_ = s.Unsubscribe()
			delete(b.subs, t)
			delete(b.dropped, s)
		}
		if b.track != nil {
			b.track.Unsubscribe(t)
		}
	}
	for _, t := range add {
		if b.track != nil {
			top, ok := b.top(t, opTimeout) // history.go
			b.track.Subscribe(t, top, ok)
		}
		s, err := b.nc.ChanSubscribe(b.subSubject(t), b.msgs)
		if err != nil {
			b.fail(fmt.Errorf("nats: subscribe %q: %w", t, err))
			continue
		}
		// The shared channel bounds the backlog; no per-subscription cap.
		_ = s.SetPendingLimits(-1, -1)
		b.subs[t] = s
	}
	if b.track != nil && len(add) > 0 {
		// Once the server has the subscriptions (a flush), read what was
		// published after their baselines and before then: no live
		// message shows that gap until the next one comes.
		topics := append([]string(nil), add...)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			if b.nc.FlushTimeout(opTimeout) == nil {
				b.track.Recheck(topics)
			}
		}()
	}
}

// Sync implements pubsub.Syncer: once subscriptions are applied, a flush
// (PING/PONG) proves the server has processed them and every publish
// sent before.
func (b *Broker) Sync(ctx context.Context) error {
	if !b.usable() {
		return errClosed
	}
	if err := b.out.Flush(ctx); err != nil {
		return err
	}
	done := make(chan error, 1)
	select {
	case b.syncReq <- done:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.ctx.Done():
		return errClosed
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		err := b.nc.FlushWithContext(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		// Disconnected: wait for the reconnect, bounded by ctx.
		if !b.waitConnected(ctx) {
			return ctx.Err()
		}
	}
}

func (b *Broker) waitConnected(ctx context.Context) bool {
	t := newTicker()
	defer t.Stop()
	for !b.nc.IsConnected() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// Handle implements pubsub.Requester.
func (b *Broker) Handle(service string, fn func(ctx context.Context, payload []byte) []byte) (stop func()) {
	return b.handlers.Handle(service, fn)
}

// Request implements pubsub.Requester with NATS request/reply; a node
// that is gone is known at once (no responders).
func (b *Broker) Request(ctx context.Context, node, service string, payload []byte) ([]byte, error) {
	if !b.usable() {
		return nil, errClosed
	}
	msg, err := b.nc.RequestWithContext(ctx, b.nodeSubject(node), wire.AppendRequest(nil, 0, b.node, service, payload))
	switch {
	case errors.Is(err, gonats.ErrNoResponders):
		return nil, pubsub.ErrNoNode
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("nats: request to node %q: %w", node, err)
	}
	e, err := wire.Decode(msg.Data)
	if err != nil || e.Kind != wire.KindReply {
		return nil, fmt.Errorf("nats: request to node %q: %w", node, wire.ErrMalformed)
	}
	switch e.Status {
	case wire.ReplyOK:
		return e.Payload, nil
	case wire.ReplyBusy:
		return nil, pubsub.ErrBusy
	}
	return nil, pubsub.ErrNoNode
}

// serveRequest runs on nats.go's goroutine for the node's subject: the
// handler itself runs on a goroutine of its own.
func (b *Broker) serveRequest(msg *gonats.Msg) {
	e, err := wire.Decode(msg.Data)
	if err != nil || e.Kind != wire.KindRequest || msg.Reply == "" {
		return
	}
	b.handlers.Go(&b.gate, func() {
		status, answer := wire.ReplyOK, []byte(nil)
		if fn := b.handlers.Get(e.Service); fn != nil {
			answer = fn(b.ctx, e.Payload)
		} else {
			status = wire.ReplyNoService
		}
		_ = msg.Respond(wire.AppendReply(nil, 0, status, answer))
	}, func() { _ = msg.Respond(wire.AppendReply(nil, 0, wire.ReplyBusy, nil)) })
}
