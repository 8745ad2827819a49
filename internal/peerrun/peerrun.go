// Package peerrun coordinates the goroutines that serve one peer over a
// connection its adapter has taken over from net/http (a WebSocket, an
// HTTP/1.1 SSE stream), so an idle peer costs one goroutine: its reader.
//
// A writer goroutine runs only while there is something to write
// (Notify starts it; it loops until a pass finds no new work), a timer
// (pings, keep-alives) runs its callback only when due, and whichever of
// the reader, the writer and a timer callback ends last calls Finish,
// exactly once, after the reader has ended: no Message hook can run after
// the Close hook.
package peerrun

import (
	"sync"
	"time"

	"github.com/anyws/anyws"
)

// Runner is one peer's coordinator. Set Flush and Finish, then start the
// reader goroutine (which must call ReaderDone last), then Arm the timer if
// any, then pass Notify to Session.Notify.
type Runner struct {
	// Flush writes what there is to write, on the writer goroutine; it
	// reports false when the connection is done for (closed or failed).
	Flush func() bool
	// Finish ends the peer (Session.Finish) with how it ended.
	Finish func(anyws.CloseInfo)

	mu       sync.Mutex
	timer    *time.Timer // armed by Arm, stopped once the peer is over
	writing  bool        // a writer goroutine runs
	again    bool        // notified while writing: look again before leaving
	quit     bool        // the writer is done with the connection
	readDone bool        // the reader has ended: start nothing more
	busy     int         // timer callbacks at work (Enter)
	finished bool        // Finish was called
	ended    bool        // info says how the peer ended
	info     anyws.CloseInfo
}

// Notify starts the writer unless one runs (which then looks again) or
// the peer is over. It never blocks: it is the Session's Notify callback.
func (r *Runner) Notify() {
	r.mu.Lock()
	switch {
	case r.readDone || r.quit:
	case r.writing:
		r.again = true
	default:
		r.writing = true
		r.mu.Unlock()
		go r.write()
		return
	}
	r.mu.Unlock()
}

func (r *Runner) write() {
	for {
		r.mu.Lock()
		r.again = false
		r.mu.Unlock()
		ok := r.Flush()
		r.mu.Lock()
		if ok && r.again && !r.readDone {
			r.mu.Unlock()
			continue
		}
		r.writing = false
		if !ok {
			r.quit = true
			r.stopTimer()
		}
		r.leave()
		return
	}
}

// End records how the peer ended unless that is known already: the first
// goroutine to see the end says why. It reports whether info was kept.
func (r *Runner) End(info anyws.CloseInfo) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	r.ended, r.info = true, info
	return true
}

// ReaderDone is the reader goroutine's last call.
func (r *Runner) ReaderDone() {
	r.mu.Lock()
	r.readDone = true
	r.stopTimer()
	r.leave()
}

// Arm (re)starts the timer to call fn after d, unless the peer is over.
func (r *Runner) Arm(d time.Duration, fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.readDone || r.quit:
	case r.timer == nil:
		r.timer = time.AfterFunc(d, fn)
	default:
		r.timer.Reset(d)
	}
}

// Enter is called by a timer callback before it works on the connection
// (a ping); false means the peer is over and it must do nothing. Each
// true Enter needs one Leave.
func (r *Runner) Enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.readDone || r.quit {
		return false
	}
	r.busy++
	return true
}

// Leave ends what Enter began.
func (r *Runner) Leave() {
	r.mu.Lock()
	r.busy--
	r.leave()
}

// leave unlocks r.mu and, if the caller is the last goroutine out,
// finishes the peer.
func (r *Runner) leave() {
	last := r.readDone && !r.writing && r.busy == 0 && !r.finished
	if last {
		r.finished = true
	}
	info := r.info
	r.mu.Unlock()
	if last {
		r.Finish(info)
	}
}

func (r *Runner) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
	}
}
