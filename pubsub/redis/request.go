package redis

import (
	"context"
	"fmt"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/wire"
)

// Handle implements pubsub.Requester.
func (b *Broker) Handle(service string, fn func(ctx context.Context, payload []byte) []byte) (stop func()) {
	return b.handlers.Handle(service, fn)
}

// Request implements pubsub.Requester: the request is published on the
// node's channel, and the reply on this node's. Redis says how many
// subscribers a PUBLISH reached, so a node that is gone is known at once.
func (b *Broker) Request(ctx context.Context, node, service string, payload []byte) ([]byte, error) {
	if !b.started.Load() || b.gate.Closed() {
		return nil, errClosed
	}
	if !b.inboxReady.Load() {
		// The reply comes on this node's channel, which Start subscribes
		// asynchronously: a request sent before Redis has that SUBSCRIBE
		// would lose its reply. Sync waits until it has.
		if err := b.Sync(ctx); err != nil {
			return nil, fmt.Errorf("redis: request to node %q: subscribing to replies: %w", node, err)
		}
		b.inboxReady.Store(true)
	}
	id := b.reqSeq.Add(1)
	ch := make(chan wire.Envelope, 1)
	b.pendMu.Lock()
	b.pending[id] = ch
	b.pendMu.Unlock()
	defer func() {
		b.pendMu.Lock()
		delete(b.pending, id)
		b.pendMu.Unlock()
	}()
	n, err := b.pub.Publish(ctx, b.nodeChannel(node), wire.AppendRequest(nil, id, b.node, service, payload)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: request to node %q: %w", node, err)
	}
	if n == 0 {
		return nil, pubsub.ErrNoNode
	}
	select {
	case e := <-ch:
		switch e.Status {
		case wire.ReplyOK:
			return e.Payload, nil
		case wire.ReplyBusy:
			return nil, pubsub.ErrBusy
		}
		return nil, pubsub.ErrNoNode
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serveRequest runs the handler of a request on a goroutine of its own
// and publishes its answer to the asking node. It never blocks: it runs
// on the read loop, which every delivery waits for.
func (b *Broker) serveRequest(e wire.Envelope) {
	reply := func(status byte, answer []byte) {
		ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
		defer cancel()
		_ = b.pub.Publish(ctx, b.nodeChannel(e.From), wire.AppendReply(nil, e.ID, status, answer)).Err()
	}
	b.handlers.Go(&b.gate, func() {
		status, answer := wire.ReplyOK, []byte(nil)
		if fn := b.handlers.Get(e.Service); fn != nil {
			answer = fn(b.ctx, e.Payload)
		} else {
			status = wire.ReplyNoService
		}
		reply(status, answer)
	}, func() { reply(wire.ReplyBusy, nil) })
}
