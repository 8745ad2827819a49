package anyws

// An internal test: a busy pool's queue growing without end shows from
// outside only as memory, and only under a load that never lets the
// queue empty, which depends on scheduling; driving the queue as
// submit and the workers do makes it exact.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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
