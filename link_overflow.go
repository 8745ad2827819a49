package anyws

import "time"

// An overflow closes the peer with 1013 (issue 16 item 7). Its pending
// messages are dropped at once, but the write in progress is not cut
// short: aborting it ended the connection with no close whenever the
// writer was busy, which under a flood is nearly always, so clients
// never learned why. Instead that write gets stuckAfter more to finish;
// if it does, the writer sends the close, so a client that paused or
// reads slowly gets it after what it was being sent. A write still in
// progress then is stuck (a client that stopped reading): the
// connection is aborted, as before, and such a client learns nothing:
// nothing can reach a client that does not read.

// stuckAfter is how long the write in progress when a peer overflows
// may go on before it counts as stuck. Short enough that a stalled
// peer's Close hook and memory do not wait for the transport's write
// deadline (10 s by default); long enough for a client that paused to
// drain what it was being sent.
const stuckAfter = 3 * time.Second

// abortIfStuck is an overflow's action on the connection: nothing when
// no write is in progress (the writer sends the close), else a timer
// that aborts the connection if the same write is still in progress
// stuckAfter later.
func (l *link) abortIfStuck() {
	n := l.inWrite.Load()
	if n == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.readDone && !l.quit && l.stuck == nil {
		l.stuck = time.AfterFunc(stuckAfter, func() { l.abortStuck(n) })
	}
}

// abortStuck aborts the connection if write number n is still in
// progress.
func (l *link) abortStuck(n uint32) {
	if l.inWrite.Load() != n {
		return
	}
	c := l.p.closing.Load()
	l.end(CloseInfo{Code: c.code, Reason: c.reason}, false)
	l.c.Abort()
}
