package anyws

import (
	"sync"
	"time"
)

// A peer's writer goroutine used to leave as soon as its queue was
// empty, so at a low rate every message started a goroutine, grew its
// stack through the write path and ended it again: at 10 messages a
// second to 1,000 subscribers that was the largest cost after the write
// system call itself (issue 15). Now the writer lingers: once it has
// written, it waits for more, and leaves once it has had none for
// writerLinger (between one and two of them: see lingers). A waiting
// writer costs its stack (a few KiB), only while its peer is being
// written to; an idle peer (one that got nothing since it connected)
// still has no writer at all, since the connection's first write does
// not linger.
//
// The wait is a receive on one channel, not a select between the wake
// and a timer's channel: at a low rate each message wakes every
// subscriber's writer once, and a two-case select (locking both
// channels, queueing on both, dequeuing from both) was most of what the
// wait cost. The Hub's linger sweep wakes the writer through the same
// channel, and only when it is to leave.

// writerLinger is how long a writer waits for more to write before it
// leaves (at least; at most twice as long): longer than the gap between
// messages at the rates where starting a goroutine per message costs
// most (10 a second and below), short enough that a peer that went
// quiet soon holds nothing.
const writerLinger = time.Second

// lingers is a Hub's set of lingering writers, swept by one timer every
// writerLinger while it is not empty (issue 15). Each writer had a timer
// of its own before, firing every writerLinger for the writer's life: at
// 1,000 lingering writers that was 1,000 timer firings a second, each on
// a goroutine of its own that woke its writer to look at the time. A
// sweep marks a writer that was woken with work since the sweep before
// (worked) as not having been, and wakes only one that had not: it
// leaves. A writer joins with worked set, so it leaves after between one
// and two periods without work, wherever in the sweep's period its
// quiet began. Lock order: a link's mu, then lingers.mu; a sweep takes
// them one after the other.
type lingers struct {
	mu      sync.Mutex
	links   []*link
	sweep   []*link // the sweep's copy of links, kept for the next
	timer   *time.Timer
	running bool // timer is set, or its sweep under way
}

// add puts l in the set (l.mu held, l not in it).
func (s *lingers) add(l *link) {
	s.mu.Lock()
	s.links = append(s.links, l)
	l.lingerAt = int32(len(s.links))
	if !s.running {
		s.running = true
		if s.timer == nil {
			s.timer = time.AfterFunc(writerLinger, s.fire)
		} else {
			s.timer.Reset(writerLinger)
		}
	}
	s.mu.Unlock()
}

// remove takes l out of the set (l.mu held, l in it). The timer stops
// at the next sweep that finds the set empty.
func (s *lingers) remove(l *link) {
	s.mu.Lock()
	i, last := int(l.lingerAt)-1, len(s.links)-1
	if i != last {
		s.links[i] = s.links[last]
		s.links[i].lingerAt = int32(i + 1)
	}
	s.links[last] = nil
	s.links = s.links[:last]
	l.lingerAt = 0
	if cap(s.links) > 64 && len(s.links) < cap(s.links)/4 {
		s.links = append([]*link(nil), s.links...) // give back a peak's array
	}
	s.mu.Unlock()
}

// fire is the sweep: every writer in the set is looked at once (outside
// s.mu: its lingerTick takes its link's mu, and a writer leaving takes
// s.mu under it).
func (s *lingers) fire() {
	s.mu.Lock()
	batch := append(s.sweep[:0], s.links...)
	s.sweep = nil
	s.mu.Unlock()
	for _, l := range batch {
		l.lingerTick()
	}
	clear(batch)
	s.mu.Lock()
	s.sweep = batch[:0]
	if cap(s.sweep) > 2*cap(s.links) {
		s.sweep = nil // give back a peak's array
	}
	if len(s.links) > 0 {
		s.timer.Reset(writerLinger)
	} else {
		s.running = false
	}
	s.mu.Unlock()
}

// linger is the writer's wait for more work, with l.mu held (released
// while waiting). It reports whether the writer has more to do; false
// when a sweep found it had no work for a period, or when there is
// nothing to wait for (the connection is ending, or nothing was written
// yet).
func (l *link) linger() bool {
	if l.pooled || l.quit || l.idle != nil || l.writes < 2 {
		return false
	}
	if l.wake == nil {
		l.wake = make(chan struct{}, 1)
	}
	if !l.lingering {
		l.lingering = true
		l.worked = true // its quiet begins now: see lingers
		l.ticked = false
		l.p.hub.lingers.add(l)
	}
	for {
		// Whoever wakes the writer (notify, closed, lingerTick) says why
		// under l.mu before it sends: again, readDone or idle, ticked. A
		// sweep that came while the writer was writing is seen here
		// before it waits.
		if l.again {
			l.ticked = false
			l.worked = true
			return true
		}
		if l.ticked {
			return false // a whole period without work
		}
		l.parked = true
		l.mu.Unlock()
		<-l.wake
		l.mu.Lock()
		l.parked = false
		if l.readDone || l.idle != nil {
			return false
		}
	}
}

// unlinger takes the leaving writer out of the Hub's set (l.mu held).
func (l *link) unlinger() {
	if l.lingering {
		l.lingering = false
		l.ticked = false
		l.p.hub.lingers.remove(l)
	}
}

// lingerTick is a sweep's look at the writer: one woken with work since
// the sweep before is left alone; one that was not is woken to leave.
func (l *link) lingerTick() {
	l.mu.Lock()
	switch {
	case !l.lingering: // it left after the sweep took its copy
	case l.worked:
		l.worked = false
	default:
		l.ticked = true
		l.unpark()
	}
	l.mu.Unlock()
}

// unpark wakes the writer if it lingers (l.mu held).
func (l *link) unpark() {
	if l.parked {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}
