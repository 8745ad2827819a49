package relay

import (
	"context"
	"sync"

	"github.com/anyws/anyws/pubsub"
)

// Outbox is a bounded FIFO of publishes drained by one goroutine, so
// Publish never blocks the Hub and each node's publishes leave in order.
// The sender is given everything queued as one batch (a pipeline).
type Outbox struct {
	mu      sync.Mutex
	q       []pubsub.Message
	spare   []pubsub.Message
	max     int
	queued  uint64 // messages ever accepted
	sent    uint64 // messages the sender has finished with
	waiters []waiter
	closed  bool

	wake chan struct{}
	done chan struct{}
	send func([]pubsub.Message)
}

type waiter struct {
	n  uint64
	ch chan struct{}
}

// NewOutbox starts an outbox holding at most max messages; send is called
// on its goroutine with each batch and deals with failures itself.
func NewOutbox(max int, send func([]pubsub.Message)) *Outbox {
	o := &Outbox{max: max, send: send, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go o.run()
	return o
}

// Push queues m. It returns false, without blocking, when the queue is
// full or closed.
func (o *Outbox) Push(m pubsub.Message) bool {
	o.mu.Lock()
	if o.closed || len(o.q) >= o.max {
		o.mu.Unlock()
		return false
	}
	o.q = append(o.q, m)
	o.queued++
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return true
}

func (o *Outbox) run() {
	defer close(o.done)
	for {
		o.mu.Lock()
		for len(o.q) == 0 {
			if o.closed {
				o.mu.Unlock()
				return
			}
			o.mu.Unlock()
			<-o.wake
			o.mu.Lock()
		}
		batch := o.q
		o.q = o.spare[:0]
		o.mu.Unlock()

		o.send(batch)

		o.mu.Lock()
		o.sent += uint64(len(batch))
		clear(batch)
		o.spare = batch[:0]
		var ready []waiter
		kept := o.waiters[:0]
		for _, w := range o.waiters {
			if w.n <= o.sent {
				ready = append(ready, w)
			} else {
				kept = append(kept, w)
			}
		}
		o.waiters = kept
		o.mu.Unlock()
		for _, w := range ready {
			close(w.ch)
		}
	}
}

// Flush waits until every message pushed before it has been sent (or
// found lost), or ctx ends.
func (o *Outbox) Flush(ctx context.Context) error {
	o.mu.Lock()
	if o.sent >= o.queued {
		o.mu.Unlock()
		return nil
	}
	w := waiter{n: o.queued, ch: make(chan struct{})}
	o.waiters = append(o.waiters, w)
	o.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close refuses new messages, lets the sender finish what is queued, and
// waits for it.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	<-o.done
}
