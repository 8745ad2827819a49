package anyws

import (
	"context"
	"sync"
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

// queue is a peer's bounded outbound queue. Producers (Send, Publish, from
// any goroutine) append under a short lock and never block; the peer's
// writer takes everything queued in one swap and writes it as one batch.
type queue struct {
	mu       sync.Mutex
	frames   []*Frame
	spare    []*Frame // the writer's last batch, reused to avoid allocation
	buffered int      // bytes queued or being written (bufferedAmount)
	closed   bool
	waiters  []chan struct{} // Drain callers, woken when buffered drops to 0

	maxCount int
	maxBytes int
}

func (q *queue) init(maxCount, maxBytes int) {
	q.maxCount, q.maxBytes = maxCount, maxBytes
}

type pushResult int

const (
	pushed      pushResult = iota
	pushedFirst            // into an empty queue: the writer must be woken
	pushClosed
	pushFull
)

func (q *queue) push(f *Frame) pushResult {
	n := f.msg.Len()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return pushClosed
	}
	if len(q.frames) >= q.maxCount || (q.buffered > 0 && q.buffered+n > q.maxBytes) {
		q.mu.Unlock()
		return pushFull
	}
	first := len(q.frames) == 0
	q.frames = append(q.frames, f)
	q.buffered += n
	q.mu.Unlock()
	if first {
		return pushedFirst
	}
	return pushed
}

// take moves every queued frame into a batch the caller owns until its
// next take. Calling it again hands the previous batch's memory back.
func (q *queue) take() []*Frame {
	q.mu.Lock()
	batch := q.frames
	clear(q.spare)
	q.frames = q.spare[:0]
	q.spare = batch
	q.mu.Unlock()
	return batch
}

// written records that frames totalling n bytes reached the connection.
func (q *queue) written(n int) {
	q.mu.Lock()
	q.buffered -= n
	var ws []chan struct{}
	if q.buffered == 0 && len(q.frames) == 0 {
		ws, q.waiters = q.waiters, nil
	}
	q.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

func (q *queue) bufferedBytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.buffered
}

// drain waits until nothing is queued or being written.
func (q *queue) drain(ctx context.Context) error {
	q.mu.Lock()
	if q.closed || (q.buffered == 0 && len(q.frames) == 0) {
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return nil
	}
	w := make(chan struct{})
	q.waiters = append(q.waiters, w)
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

// close refuses further pushes, drops what is queued and wakes waiters.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	clear(q.frames)
	q.frames = q.frames[:0]
	q.buffered = 0
	ws := q.waiters
	q.waiters = nil
	q.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}
