package anyws

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriterPoolStuckCheckWhileWorkerWakes: the stuck check stays armed
// while links wait, also when a worker counts as idle, signaled by
// submit but not yet running. Disarmed there, it was armed again only
// by the next submit: when the woken worker took a link whose write
// blocked (a stalled HTTP/2 stream), the links behind it waited for that
// write's deadline (TestStalledH2StreamsDoNotHoldUpOthers timed out on
// a loaded machine).
func TestWriterPoolStuckCheckWhileWorkerWakes(t *testing.T) {
	w := &writerPool{}
	w.cond.L = &w.mu
	w.mu.Lock()
	w.queue = []*link{{}}    // a link waits,
	w.workers, w.idle = 1, 1 // for a worker that was signaled and has not run yet
	w.mu.Unlock()
	w.checkStuck()
	w.mu.Lock()
	armed := w.stuckArm
	w.queue, w.closed = w.queue[:0], true
	stuck := w.stuck
	w.mu.Unlock()
	if stuck != nil {
		stuck.Stop()
	}
	require.True(t, armed, "the stuck check is armed while a link waits for a worker that is waking")
}

// TestPoolQueueCompacts keeps 100 links waiting while links are taken
// and queued again 10,000 times, as in a pool that never catches up:
// the queue's array stays a small multiple of what waits, every link
// comes out once per queuing, in order.
func TestPoolQueueCompacts(t *testing.T) {
	const waiting, rounds = 100, 10_000
	links := make([]*link, waiting)
	for i := range links {
		links[i] = &link{}
	}
	w := &writerPool{}
	for _, l := range links {
		w.queue = append(w.queue, l)
	}
	maxCap := 0
	for i := range rounds {
		l := w.take()
		require.Same(t, links[i%waiting], l, "take %d: links come out in the order queued", i)
		w.queue = append(w.queue, l) // its writer had more: queued again
		maxCap = max(maxCap, cap(w.queue))
		require.Equal(t, waiting, len(w.queue)-w.head, "take %d: links waiting", i)
	}
	// Without compaction the array holds every link ever queued
	// (10,100); with it, at most about twice what waits, plus 64.
	require.LessOrEqual(t, maxCap, 4*waiting+256, "the queue's array grew with every link queued behind it")
	for i := range waiting {
		require.Same(t, links[(rounds+i)%waiting], w.take(), "drain %d", i)
	}
	require.Zero(t, len(w.queue), "an emptied queue restarts at its array's start")
	require.Zero(t, w.head)
}
