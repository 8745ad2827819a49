package anyws

// An internal test: whether a queue reuses its array is seen from
// outside only in allocation counts and memory, which depend on how the
// writers are scheduled; driving the queue as its writer does makes
// them exact.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func testPayloads(n int) []*Payload {
	ps := make([]*Payload, n)
	for i := range ps {
		ps[i] = NewPayload(Text(fmt.Sprintf("%05d", i)))
	}
	return ps
}

// newTestQueue is a queue without bounds but the replay's: that many
// of testPayloads' messages.
func newTestQueue(replayMessages int) *queue {
	q := &queue{}
	q.init(&queueLimits{maxBytes: 1 << 30, maxReplay: replayMessages * (5 + payloadOverhead)})
	return q
}

// burst is what a peer's queue sees while a publisher outruns its
// writer: a backlog builds, each write takes what is pending while more
// comes, then the writer catches up.
func burst(t *testing.T, q *queue, ps []*Payload) {
	next := 0
	push := func(n int) {
		for range n {
			if r := q.push(ps[next%len(ps)]); r != pushed && r != pushedFirst {
				t.Fatalf("push %d: %v", next, r)
			}
			next++
		}
	}
	push(150)
	for range 10 {
		q.take(true)
		push(20)
		q.wrote()
	}
	for {
		batch, _, _ := q.take(true)
		if len(batch) == 0 {
			break
		}
		q.wrote()
	}
}

// A busy queue keeps its array: once it has grown to the backlog, a
// burst allocates nothing, whether the queue empties between bursts (no
// replay) or slides along its array (replay kept). Before, an emptied
// queue dropped an array grown past 64 and one holding messages slid off
// its array's end, so every queue allocated every few dozen messages
// and a publish's allocations grew with its subscribers (issue 15).
// Not parallel: AllocsPerRun counts every goroutine's allocations.
func TestQueueBusyKeepsArray(t *testing.T) {
	ps := testPayloads(1 << 10)
	for _, replay := range []int{0, 100, 1000} {
		t.Run("replay="+strconv.Itoa(replay), func(t *testing.T) {
			q := newTestQueue(replay)
			for range fitEvery {
				burst(t, q, ps) // grow to the backlog
			}
			// AllocsPerRun rounds down: a run of 8 bursts shows an
			// allocation every 2,800 messages.
			allocs := testing.AllocsPerRun(10, func() {
				for range 8 {
					burst(t, q, ps)
				}
			})
			require.Zero(t, allocs, "allocations per 8 bursts of 350 messages")
		})
	}
}

// A writer's batch is never rewritten while it is out, however the
// queue grows or moves what it holds meanwhile, and every message is
// taken once, in order, with its sequence number.
func TestQueueBatchStableWhileOut(t *testing.T) {
	t.Parallel()
	ps := testPayloads(1 << 12)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, replay := range []int{0, 7, 300} {
		q := newTestQueue(replay)
		pushed, taken := 0, 0
		for round := range 2000 {
			for range rnd.IntN(5) * rnd.IntN(40) {
				require.NotEqual(t, pushFull, q.push(ps[pushed%len(ps)]))
				pushed++
			}
			batch, seq, _ := q.take(rnd.IntN(2) == 0)
			snapshot := slices.Clone(batch)
			for range rnd.IntN(100) {
				require.NotEqual(t, pushFull, q.push(ps[pushed%len(ps)]))
				pushed++
			}
			if !slices.Equal(snapshot, batch) || seq != uint64(taken+1) {
				t.Fatalf("replay %d, round %d: the batch changed while out, or its sequence number %d is not %d", replay, round, seq, taken+1)
			}
			for i, f := range batch {
				if f != ps[(taken+i)%len(ps)] {
					t.Fatalf("replay %d, round %d: message %d is %s", replay, round, taken+i, f.Message().Text())
				}
			}
			taken += len(batch)
			if rnd.IntN(10) == 0 {
				q.unsend() // the connection failed: taken again
				taken -= len(batch)
				continue
			}
			q.wrote()
		}
		require.Equal(t, q.base+uint64(q.written), uint64(taken+1), "replay %d", replay)
	}
}

// A queue's array is bounded: one that stayed under a quarter full for
// fitAfter is cut to what it held meanwhile, and a queue whose
// writer leaves (a quiet peer) keeps at most keptItems, or twice the
// messages it keeps for replay, so that a quiet peer does not copy its
// replay region at every message. Not parallel: AllocsPerRun.
func TestQueueArrayGivenBack(t *testing.T) {
	ps := testPayloads(4096)
	write := func(q *queue) {
		q.take(false)
		q.wrote()
	}
	t.Run("fit", func(t *testing.T) {
		q := newTestQueue(0)
		for _, f := range ps {
			q.push(f)
		}
		write(q)
		require.GreaterOrEqual(t, cap(q.buf), len(ps), "an emptied busy queue keeps its array")
		writes := func(n int) {
			for i := range n {
				q.push(ps[i])
				q.push(ps[i+1])
				write(q)
			}
		}
		writes(2 * fitEvery)
		require.GreaterOrEqual(t, cap(q.buf), len(ps), "kept while under a quarter full for less than fitAfter")
		require.NotZero(t, q.quiet, "under a quarter full since")
		q.quiet -= fitAfter // as if fitAfter went by
		writes(fitEvery)
		require.LessOrEqual(t, cap(q.buf), 4, "after fitAfter of writes of 2 messages")
	})
	t.Run("idle", func(t *testing.T) {
		q := newTestQueue(0)
		for _, f := range ps {
			q.push(f)
		}
		write(q)
		q.idle()
		require.Zero(t, cap(q.buf), "an idle peer holds no array")
		q.push(ps[0])
		write(q)
		q.idle()
		require.NotZero(t, cap(q.buf), "a small array is kept")
		require.LessOrEqual(t, cap(q.buf), keptItems)
	})
	t.Run("idle replay", func(t *testing.T) {
		q := newTestQueue(100)
		for _, f := range ps {
			q.push(f)
		}
		write(q)
		q.idle()
		require.Len(t, q.items, 100, "the replay region stays")
		require.Equal(t, 200, cap(q.buf), "with room for as many more")
		require.Same(t, ps[len(ps)-1], q.items[99])
		// A message at a time, each after the writer left: the replay
		// region slides within its array.
		allocs := testing.AllocsPerRun(10, func() {
			for _, f := range ps[:100] {
				q.push(f)
				write(q)
				q.idle()
			}
		})
		require.Zero(t, allocs, "allocations per 100 messages to a quiet peer")
		require.Equal(t, 200, cap(q.buf))
	})
}
