package anyws

import (
	"sync"
	"time"
)

// The keep-alives of a Hub's connections run on one timer (issue 15): a
// runtime timer per connection (time.AfterFunc's Timer and its func)
// cost every idle peer 128 bytes. keepAlives keeps each armed link in a
// heap by the time its interval ends, and its timer fires for the
// first; a firing hands each link whose time came to keepAliveDue, as
// the link's own timer did, so a keep-alive still goes out exactly
// KeepAlive after the last write. Lock order: a link's mu, then
// keepAlives.mu.
type keepAlives struct {
	mu    sync.Mutex
	heap  []keepAliveEntry
	timer *time.Timer   // made by the first add
	at    time.Duration // when timer fires (since epoch); 0: not set
}

type keepAliveEntry struct {
	due time.Duration // since epoch
	l   *link
}

// add schedules l's keepAliveDue at due (since epoch). l.mu held; l
// is not scheduled.
func (k *keepAlives) add(l *link, due time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.heap = append(k.heap, keepAliveEntry{due: due, l: l})
	k.up(len(k.heap) - 1)
	if k.at == 0 || due < k.at {
		k.arm(due)
	}
}

// remove unschedules l, if it is scheduled. l.mu held.
func (k *keepAlives) remove(l *link) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if i := int(l.kaIndex) - 1; i >= 0 {
		k.delete(i)
	}
	if len(k.heap) == 0 && k.timer != nil && k.at != 0 {
		k.timer.Stop()
		k.at = 0
	}
}

// arm sets the timer to fire at due (k.mu held).
func (k *keepAlives) arm(due time.Duration) {
	k.at = due
	d := due - time.Since(epoch)
	if k.timer == nil {
		k.timer = time.AfterFunc(d, k.fire)
		return
	}
	k.timer.Reset(d)
}

// fire is the timer's firing: every link whose time came goes to its
// keepAliveDue (outside k.mu: it may add the link again), then the
// timer is set for the next.
func (k *keepAlives) fire() {
	for {
		k.mu.Lock()
		if len(k.heap) == 0 {
			k.at = 0
			k.mu.Unlock()
			return
		}
		top := k.heap[0]
		if top.due > time.Since(epoch) {
			k.arm(top.due)
			k.mu.Unlock()
			return
		}
		k.at = 0 // a link added meanwhile sets the timer again
		k.delete(0)
		k.mu.Unlock()
		top.l.keepAliveDue()
	}
}

// delete removes entry i (k.mu held).
func (k *keepAlives) delete(i int) {
	h := k.heap
	h[i].l.kaIndex = 0
	last := len(h) - 1
	if i != last {
		h[i] = h[last]
		h[i].l.kaIndex = int32(i + 1)
	}
	h[last] = keepAliveEntry{}
	k.heap = h[:last]
	if i != last {
		k.down(i)
		k.up(i)
	}
	if cap(k.heap) > 64 && len(k.heap) < cap(k.heap)/4 {
		k.heap = append([]keepAliveEntry(nil), k.heap...) // give back a peak's array
	}
}

func (k *keepAlives) up(i int) {
	h := k.heap
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			break
		}
		h[p], h[i] = h[i], h[p]
		h[i].l.kaIndex = int32(i + 1)
		i = p
	}
	h[i].l.kaIndex = int32(i + 1)
}

func (k *keepAlives) down(i int) {
	h := k.heap
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h[c+1].due < h[c].due {
			c++
		}
		if h[i].due <= h[c].due {
			break
		}
		h[i], h[c] = h[c], h[i]
		h[i].l.kaIndex = int32(i + 1)
		i = c
	}
	h[i].l.kaIndex = int32(i + 1)
}
