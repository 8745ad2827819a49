package anyws

import "time"

// A peer's writer goroutine used to leave as soon as its queue was
// empty, so at a low rate every message started a goroutine, grew its
// stack through the write path and ended it again: at 10 messages a
// second to 1,000 subscribers that was the largest cost after the write
// system call itself (issue 15). Now the writer lingers: once it has
// written, it waits for more, and leaves once it has had none for
// writerLinger (between one and two of them: see lingerTimer). A
// waiting writer costs its stack (a few KiB) and a timer, only while its
// peer is being written to; an idle peer (one that got nothing since it
// connected) still has no writer at all, since the connection's first
// write does not linger.
//
// The wait is a receive on one channel, not a select between the wake
// and the timer's channel: at a low rate each message wakes every
// subscriber's writer once, and a two-case select (locking both
// channels, queueing on both, dequeuing from both) was most of what the
// wait cost. The timer wakes the writer through the same channel.

// writerLinger is how long a writer waits for more to write before it
// leaves (at least; at most twice as long): longer than the gap between
// messages at the rates where starting a goroutine per message costs
// most (10 a second and below), short enough that a peer that went
// quiet soon holds nothing.
const writerLinger = time.Second

// lingerTimer is the writer's timer, made on its first linger and
// running for the writer's life: resetting it at every wait cost as much
// as the wait itself, so it fires every writerLinger, and the writer
// leaves at a firing that finds it was not woken since the one before:
// after between one and two periods without work.
type lingerTimer struct {
	t      *time.Timer
	active bool // woken with work since the timer last fired
}

func (lt *lingerTimer) stop() {
	if lt.t != nil {
		lt.t.Stop()
	}
}

// linger is the writer's wait for more work, with l.mu held (released
// while waiting). It reports whether the writer has more to do; false
// when a period went by without any, or when there is nothing to wait
// for (the connection is ending, or nothing was written yet).
func (l *link) linger(lt *lingerTimer) bool {
	if l.quit || l.idle != nil || l.writes < 2 {
		return false
	}
	if l.wake == nil {
		l.wake = make(chan struct{}, 1)
	}
	if lt.t == nil {
		// A firing of an earlier writer's timer may have been under way
		// as it left (at worst this writer leaves a period early).
		l.ticked = false
		lt.t = time.AfterFunc(writerLinger, l.lingerTick)
	}
	for {
		// Whoever wakes the writer (notify, closed, lingerTick) says why
		// under l.mu before it sends: again, readDone or idle, ticked. A
		// firing while the writer was writing is seen here before it waits.
		if l.ticked {
			l.ticked = false
			if !lt.active && !l.again {
				return false // a whole period without work
			}
			lt.active = false
			lt.t.Reset(writerLinger)
		}
		if l.again {
			lt.active = true
			return true
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

// lingerTick is the linger timer's firing: it wakes the writer to look
// at the time it has waited.
func (l *link) lingerTick() {
	l.mu.Lock()
	l.ticked = true
	l.unpark()
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
