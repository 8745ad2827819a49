package sse

import "time"

// A stream served through net/http (HTTP/2) sets its write deadline
// through http.ResponseController, and on HTTP/2 each call is a message
// to the connection's serve goroutine, which then (re)arms a timer for
// the stream. Set before and cleared after every write, that was two
// such round trips per event, 8% of the server's CPU at 50 events/s to
// 1,000 streams (issue 15). And the deadline cannot simply stay set: on
// HTTP/2 an expired write deadline resets the stream even while nothing
// is being written.
//
// With keep-alives on, a stream is written at least every KeepAlive
// (the keep-alive comment when nothing else was), so the deadline stays
// set, WriteTimeout + KeepAlive ahead, and moves when WriteTimeout/8
// went by since it was set: the next write (a keep-alive at the latest)
// comes with at least 7/8 of WriteTimeout to spare before it expires, a
// write to a client that stopped reading fails within WriteTimeout +
// KeepAlive (25 s by default; WriteTimeout alone before), and the
// deadline moves at most once per WriteTimeout/8 (1.25 s). With
// keep-alives off, it is set and cleared around each write, as before.

// epoch is where stream.dl counts from (monotonic).
var epoch = time.Now()

// deadlineAhead makes sure the write about to start has a deadline.
func (st *stream) deadlineAhead() {
	now := time.Now()
	ka := st.h.opts.KeepAlive
	if ka <= 0 {
		_ = st.rc.SetWriteDeadline(now.Add(st.h.opts.WriteTimeout))
		return
	}
	wt := st.h.opts.WriteTimeout
	span := wt + ka
	if at := now.Sub(epoch); st.dl-at < span-wt/8 {
		st.dl = at + span
		_ = st.rc.SetWriteDeadline(now.Add(span))
	}
}

// deadlineIdle is called after a write: without keep-alives, nothing
// bounds the idle time to come, so the deadline is cleared (the end of
// the response can still be written after a long quiet period).
func (st *stream) deadlineIdle() {
	if st.h.opts.KeepAlive <= 0 {
		_ = st.rc.SetWriteDeadline(time.Time{})
	}
}
