package anyws

import (
	"context"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// OverflowPolicy says what happens when a peer's outbound queue is full.
type OverflowPolicy int

const (
	// OverflowClose closes the peer with StatusTryAgainLater: a client too
	// slow to keep up reconnects later instead of holding memory. Default.
	OverflowClose OverflowPolicy = iota
	// OverflowDrop drops the message that did not fit, reports it to the
	// Error hook, and keeps the peer.
	OverflowDrop
)

// queue is a peer's outbound log. Every message queued for the peer gets
// the next sequence number (1, 2, 3, …) and sits in one slice, in three
// regions:
//
//	items[0:written)       written to a connection, kept for replay
//	items[written:taken)   taken by the writer, being written
//	items[taken:)          pending
//
// Producers (Send, Publish, from any goroutine) append under a short lock
// and never block; the writer takes the pending region as one batch.
// When the peer can be resumed, written messages stay until the replay
// bound pushes them out, so a client that reconnects gets everything
// after the last message it saw (rewind); otherwise they are dropped as
// soon as they are written.
//
// The writer reads its batch outside the lock, so the array's memory is
// never rewritten under it: the front is trimmed by re-slicing, within
// the written region, and what is held moves to the array's start only
// while no batch is out (queue_array.go).
type queue struct {
	mu      sync.Mutex
	items   []*Payload
	buf     []*Payload    // the array items is in, from its start (queue_array.go)
	high    int           // the most items held lately (queue_array.go)
	fitIn   int           // writes until the array is next looked at
	quiet   time.Duration // since when it stayed under a quarter full (clock); 0: it did not
	base    uint64        // sequence number of items[0]
	written int
	taken   int
	pending int // cost of items[written:): queued or being written
	kept    int // cost of items[0:written)
	bytes   int // payload bytes of items[written:) (Peer.Buffered)
	// drained is closed when nothing is left to write (or the queue
	// closes): Drain callers wait on it. nil until one waits.
	drained chan struct{}
	lim     *queueLimits // shared by the Hub's peers

	// Topic positions (queue_positions.go): nil until a payload with a
	// position comes.
	pos map[string]pubsub.Position // the last position taken, per topic
	// held, while not nil, takes the pushes until release.
	held   *[]*Payload
	closed bool
}

// queueLimits bound a queue (Options.QueueMessages, QueueBytes,
// ReplayBytes); a Hub's queues share them.
type queueLimits struct {
	maxCount  int // pending messages; 0: no count bound
	maxBytes  int // cost of pending messages
	maxReplay int // cost of kept messages; 0: keep none
}

func (q *queue) init(lim *queueLimits) {
	q.lim = lim
	q.base = 1
}

type pushResult int

const (
	pushed      pushResult = iota
	pushedFirst            // into an empty pending region: the writer must be woken
	pushClosed
	pushFull
)

func (q *queue) push(f *Payload) pushResult {
	c := f.cost()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return pushClosed
	}
	if q.held != nil {
		*q.held = append(*q.held, f)
		q.mu.Unlock()
		return pushed
	}
	n := len(q.items) - q.written
	if lim := q.lim; (lim.maxCount > 0 && n >= lim.maxCount) || (n > 0 && q.pending+c > lim.maxBytes) {
		q.mu.Unlock()
		return pushFull
	}
	if !q.advance(f) {
		q.mu.Unlock()
		return pushed // a message it has already
	}
	first := len(q.items) == q.taken
	q.add(f)
	q.pending += c
	q.bytes += f.msg.Len()
	q.mu.Unlock()
	if first {
		return pushedFirst
	}
	return pushed
}

// take returns the pending messages, oldest first, and the sequence
// number of the first. The batch stays valid until the next take. When
// capped, the batch ends after maxBatchCost (queue_batch.go) and more
// reports that messages are left pending.
func (q *queue) take(capped bool) (batch []*Payload, seq uint64, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	end := len(q.items)
	if capped {
		end = q.batchEnd(q.taken)
	}
	batch = q.items[q.taken:end:end]
	seq = q.base + uint64(q.taken)
	q.taken = end
	return batch, seq, end < len(q.items)
}

// wrote records that everything taken reached the connection: it moves
// to the replay region (trimmed to its bound) or is dropped.
func (q *queue) wrote() {
	q.mu.Lock()
	for _, f := range q.items[q.written:q.taken] {
		c := f.cost()
		q.pending -= c
		q.bytes -= f.msg.Len()
		q.kept += c
	}
	q.written = q.taken
	q.trim(q.lim.maxReplay)
	q.compact()
	q.fit()
	if q.drained != nil && q.written == len(q.items) {
		close(q.drained)
		q.drained = nil
	}
	q.mu.Unlock()
}

// trim drops the oldest written messages until they cost at most max.
func (q *queue) trim(max int) {
	k := 0
	for k < q.written && q.kept > max {
		q.kept -= q.items[k].cost()
		q.items[k] = nil
		k++
	}
	if k == 0 {
		return
	}
	q.base += uint64(k)
	q.written -= k
	q.taken -= k
	if k < len(q.items) {
		q.items = q.items[k:]
		return
	}
	// All of it went: the next messages go at the array's start
	// (queue_array.go says how long the array is kept).
	q.items = q.buf[:0]
}

// rewind makes everything after sequence number last pending again, for
// a client that reconnects having seen messages up to last. It reports
// false when that is impossible: messages after last were trimmed away,
// or last was never sent.
func (q *queue) rewind(last uint64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || last+1 < q.base || last+1 > q.base+uint64(len(q.items)) {
		return false
	}
	k := int(last + 1 - q.base)
	clear(q.items[:k])
	q.items = q.items[k:]
	q.unwrite(last + 1)
	return true
}

// unwrite makes all of items pending, the first numbered base. Under
// q.mu.
func (q *queue) unwrite(base uint64) {
	q.base = base
	q.written, q.taken = 0, 0
	q.pending, q.kept, q.bytes = 0, 0, 0
	for _, f := range q.items {
		q.pending += f.cost()
		q.bytes += f.msg.Len()
	}
}

// unsend makes what was taken but not written pending again: the
// connection failed under it.
func (q *queue) unsend() {
	q.mu.Lock()
	q.taken = q.written
	q.mu.Unlock()
}

func (q *queue) bufferedBytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// drain waits until nothing is queued or being written.
func (q *queue) drain(ctx context.Context) error {
	q.mu.Lock()
	if q.closed || q.written == len(q.items) {
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return nil
	}
	if q.drained == nil {
		q.drained = make(chan struct{})
	}
	w := q.drained
	q.mu.Unlock()
	select {
	case <-w:
		q.mu.Lock()
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discard drops what is pending (a close that does not flush) and keeps
// the queue open. It returns how many messages it dropped.
func (q *queue) discard() int {
	q.mu.Lock()
	n := len(q.items) - q.taken
	clear(q.items[q.taken:])
	q.items = q.items[:q.taken]
	q.pending, q.bytes = 0, 0
	for _, f := range q.items[q.written:] {
		q.pending += f.cost()
		q.bytes += f.msg.Len()
	}
	q.mu.Unlock()
	return n
}

// close refuses further pushes, drops everything and wakes waiters. It
// returns how many messages were never written.
func (q *queue) close() int {
	q.mu.Lock()
	n := len(q.items) - q.written
	q.closed = true
	q.items, q.buf = nil, nil
	q.written, q.taken = 0, 0
	q.pending, q.kept, q.bytes = 0, 0, 0
	if q.drained != nil {
		close(q.drained)
		q.drained = nil
	}
	q.mu.Unlock()
	return n
}
