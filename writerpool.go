package anyws

import (
	"runtime"
	"sync"
	"time"
)

// Pooled writers (issue 15). A peer's writer is a goroutine of its own,
// started or woken by the publisher (link.notify, linger.go): a slow
// client then holds up nobody but itself. Over HTTP/2 that costs a
// wake-up more per delivery than writing from the publisher, as go-sse
// does: an HTTP/2 handler's write is itself a hand-off to net/http's
// goroutine for the connection, so the peer's writer only passes the
// message on. At 1,000 subscribers and 10-50 events/s that wake-up was
// the whole gap to go-sse's CPU per delivery (docs/performance.md).
//
// A transport whose writes are such hand-offs says so (PooledConn), and
// its peers' writers run on the Hub's writer pool instead: a few
// goroutines (GOMAXPROCS while busy) taking links from one queue, so
// that a publish to 1,000 peers wakes a few goroutines, not 1,000. A
// write can still block (a client that stopped reading closes its
// HTTP/2 flow-control window): when links wait and no worker has
// finished one for poolStuckAfter, the pool starts one more worker, so
// a stalled client holds up the others for at most that long, once.
// Workers beyond the pool's size leave when the queue is empty; the
// rest leave after writerLinger without work.

// poolStuckAfter is how long links may wait while no worker finishes
// one before the pool starts another worker: the most a stalled client
// holds up the others, per stalled write.
const poolStuckAfter = 5 * time.Millisecond

// writerPool is a Hub's pool of writers for pooled connections (see
// above); New sets its cond's lock.
type writerPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	queue   []*link
	head    int
	workers int    // running
	idle    int    // waiting for work
	done    uint64 // links written, for the stuck check and the linger
	closed  bool

	stuck      *time.Timer // armed while links wait
	stuckArm   bool
	stuckSeen  uint64      // done when it was armed
	linger     *time.Timer // armed when the last worker goes idle
	lingerSeen uint64      // done when it was armed
	quiet      bool        // the linger found the pool idle: workers leave
}

// submit queues l, whose writing flag its caller set, for a worker.
func (w *writerPool) submit(l *link) {
	w.mu.Lock()
	w.queue = append(w.queue, l)
	w.quiet = false
	switch {
	case w.idle > 0:
		w.cond.Signal()
	case w.workers < runtime.GOMAXPROCS(0):
		w.start()
	}
	if !w.stuckArm {
		// Also when a worker was idle: it may take a link whose write
		// blocks, with the others behind it in the queue.
		w.armStuck()
	}
	w.mu.Unlock()
}

// start runs one more worker (w.mu held).
func (w *writerPool) start() {
	w.workers++
	go w.work()
}

// armStuck sets the stuck check (w.mu held).
func (w *writerPool) armStuck() {
	w.stuckArm = true
	w.stuckSeen = w.done
	if w.stuck == nil {
		w.stuck = time.AfterFunc(poolStuckAfter, w.checkStuck)
	} else {
		w.stuck.Reset(poolStuckAfter)
	}
}

// checkStuck starts a worker when links waited poolStuckAfter while no
// worker finished one and none is idle, and looks again while links
// wait, idle worker or not: an idle worker with links queued was
// signaled by submit and has not run yet (on a loaded machine, longer
// than poolStuckAfter), and the link it takes may block with the
// others behind it. Disarmed, the check would wait for the next
// submit, which may never come.
func (w *writerPool) checkStuck() {
	w.mu.Lock()
	w.stuckArm = false
	if w.head < len(w.queue) {
		if w.idle == 0 && w.done == w.stuckSeen {
			w.start()
		}
		w.armStuck()
	}
	w.mu.Unlock()
}

// work is a worker: it writes for the queued links, one at a time.
// Workers beyond GOMAXPROCS (started for stuck ones) leave when the
// queue is empty, the others once the pool had no work for
// writerLinger, or the Hub closed.
func (w *writerPool) work() {
	w.mu.Lock()
	for {
		if w.head == len(w.queue) {
			if w.closed || w.quiet || w.workers > runtime.GOMAXPROCS(0) {
				w.workers--
				if w.workers == 0 {
					w.quiet = false
				}
				w.mu.Unlock()
				return
			}
			w.idle++
			if w.idle == w.workers {
				w.armLinger()
			}
			w.cond.Wait()
			w.idle--
			continue
		}
		l := w.take()
		w.mu.Unlock()
		l.write()
		w.mu.Lock()
		w.done++
	}
}

// take removes the first queued link (w.mu held, the queue not empty).
func (w *writerPool) take() *link {
	l := w.queue[w.head]
	w.queue[w.head] = nil
	w.head++
	if w.head == len(w.queue) {
		w.queue, w.head = w.queue[:0], 0
	} else if w.head >= 64 && 2*w.head >= len(w.queue) {
		// A queue that never empties (a busy pool) would otherwise
		// grow its array with every link queued behind it.
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
	return l
}

// armLinger sets the pool's linger as its last busy worker goes idle
// (w.mu held).
func (w *writerPool) armLinger() {
	w.lingerSeen = w.done
	if w.linger == nil {
		w.linger = time.AfterFunc(writerLinger, w.lingerOver)
	} else {
		w.linger.Reset(writerLinger)
	}
}

// lingerOver sends the workers away when the pool wrote nothing for
// writerLinger.
func (w *writerPool) lingerOver() {
	w.mu.Lock()
	if w.idle == w.workers && w.done == w.lingerSeen && w.head == len(w.queue) {
		w.quiet = true
		w.cond.Broadcast()
	}
	w.mu.Unlock()
}

// close sends every worker away once the queue is empty (Hub.Close).
func (w *writerPool) close() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	if w.stuck != nil {
		w.stuck.Stop()
	}
	if w.linger != nil {
		w.linger.Stop()
	}
	w.mu.Unlock()
}
