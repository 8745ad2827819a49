package anyws

import "time"

// A queue's array (issue 15: allocations per publish flat in the number
// of subscribers). Messages are appended at the end of items and leave
// from its front, so items slides along its array. Letting append find
// a new array whenever the slide reached the end, and dropping an
// emptied array grown past keptItems, allocated for every queue every
// few dozen messages while the publisher outran the writers: 50
// allocations per publish to 1,000 subscribers, 97 to 10,000, where 1
// and 100 took 3 and 4. Now the queue keeps its array while it is busy
// and moves what it holds back to the array's start instead:
//
//   - after a write, when the free slots in front are at least half as
//     many as the messages held (so each message is copied at most
//     twice on average), and before growing when no batch is out;
//   - an emptied queue starts again at its array's start.
//
// The writer reads its batch outside the lock, so the array is only
// rewritten while no batch is out (taken == written); growing copies
// to a new array and leaves the old one as it was.
//
// What a queue keeps is bounded: its array holds at most about twice
// the most messages it held at once lately (a new array is twice the
// messages it holds; one that stayed under a quarter full for a
// second is cut to twice what it held meanwhile), and once its writer
// leaves (linger.go: a peer quiet for one to two seconds) none beyond
// keptItems, or beyond twice the messages it keeps for replay. An idle
// peer, one that never got a message, holds no array at all.

// keptItems is the largest array a queue keeps when its writer leaves:
// 512 bytes (a peer that got one message at a time keeps 8 or 16).
const keptItems = 64

// fitEvery is how often (in writes) a queue looks at its array's use,
// and fitAfter how long the array must stay under a quarter full before
// it is cut: a peer written to in bursts keeps the array its bursts
// need (cut after every 64 quiet writes, a queue fanned out to 10,000
// peers regrew its array within seconds), and one burst long past does
// not hold memory for the peer's life.
const (
	fitEvery = 64
	fitAfter = time.Second
)

// clock is a monotonic reading for fit; never 0.
func clock() time.Duration { return time.Since(clockStart) + 1 }

var clockStart = time.Now()

// add appends f (q.mu held).
func (q *queue) add(f *Payload) {
	if len(q.items) == cap(q.items) {
		q.compact()
	}
	if len(q.items) == cap(q.items) {
		// A new array, twice what is held (append grows a large slice
		// by a quarter, which a queue holding a replay region outgrew
		// at every slide); the old one stays as it was for the batch
		// being written.
		q.resize(max(2*len(q.items), 1))
	}
	q.items = append(q.items, f)
	q.high = max(q.high, len(q.items))
}

// compact moves what the queue holds to its array's start when at
// least half as many slots are free in front of it and no batch is out
// (q.mu held). Once its array is half as large again as the most it
// holds at once, a queue never grows it: were it full, more slots than
// half what it held would have been free in front at its last write,
// and it would have moved then.
func (q *queue) compact() {
	n, front := len(q.items), cap(q.buf)-cap(q.items)
	if front == 0 || 2*front < n || q.taken != q.written {
		return
	}
	copy(q.buf[:n], q.items)
	clear(q.buf[n : front+n])
	q.items = q.buf[:n]
}

// fit cuts an array that stayed under a quarter full for fitAfter (and
// at least fitEvery writes) to twice the most the queue held meanwhile
// (q.mu held, no batch out).
func (q *queue) fit() {
	if q.fitIn--; q.fitIn > 0 {
		return
	}
	q.fitIn = fitEvery
	if c := cap(q.buf); c <= keptItems || 4*q.high > c {
		q.quiet, q.high = 0, len(q.items) // busy: look again
		return
	}
	if now := clock(); q.quiet == 0 {
		q.quiet = now
		return
	} else if now-q.quiet < fitAfter {
		return
	}
	q.resize(2 * q.high)
	q.quiet, q.high = 0, len(q.items)
}

// idle gives back an array grown past keptItems, for a peer whose
// writer leaves: it went quiet, or its connection ended. What is kept
// for replay stays, with room for as many more, so that a peer written
// to less often than its writer lingers does not copy its replay
// region at every message.
func (q *queue) idle() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n := len(q.items); cap(q.buf) > max(keptItems, 4*n) {
		q.resize(2 * n)
	}
	q.high, q.fitIn, q.quiet = len(q.items), fitEvery, 0
}

// resize moves what the queue holds to a new array of c slots (at
// least what it holds; none when c is 0). q.mu held.
func (q *queue) resize(c int) {
	n := len(q.items)
	if c = max(c, n); c == 0 {
		q.items, q.buf = nil, nil
		return
	}
	b := make([]*Payload, n, c)
	copy(b, q.items)
	q.items, q.buf = b, b
}
