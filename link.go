package anyws

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// link is one connection of a peer: the core's side of a transport's
// Conn. It owns the writer goroutine, which runs only while there is
// something to do (an idle peer costs its transport's reader and nothing
// here), the keep-alive timer, and the decision of how the connection
// ends. A peer has at most one link at a time; a resumed peer gets a new
// one.
//
// Fields are ordered to pack: an idle peer keeps its link.
type link struct {
	p  *Peer
	c  Conn
	ka time.Duration
	// resume is how the connection began (Session.Resume), nil for a
	// new peer's.
	resume *ResumeStatus

	mu   sync.Mutex
	wake chan struct{} // wakes a parked writer; made with the first linger
	// lastWrite is when the writer last wrote, since epoch.
	lastWrite time.Duration
	idle      chan struct{} // closed when the writer leaves, if Closed waits for it
	info      *CloseInfo    // how the connection ended; nil until it ended
	// done is closed once the peer has been handed on (handed); made
	// by the first that waits for it (handedOn).
	done chan struct{}

	// inWrite numbers the Write in progress (1, 2, …; writes counts
	// them, writer only), 0 when none is; stuck aborts it if it is
	// still in progress long after an overflow (link_overflow.go).
	// (32 bits: a link is then 128 bytes, not 144; 0 is skipped when
	// they wrap.)
	inWrite atomic.Uint32
	writes  uint32
	// kaIndex is the link's place in its Hub's keep-alive heap, plus
	// one; 0 when it is not there (keepalive.go, under its mu).
	kaIndex int32
	// lingerAt is the writer's place in its Hub's set of lingering
	// writers, plus one (linger.go, under its mu).
	lingerAt int32
	stuck    *time.Timer

	// resumable: the client can resume the peer (AttachOptions.Resumable)
	resumable bool
	writing   bool // a writer goroutine runs
	again     bool // notified while writing: look again before leaving
	parked    bool // the writer lingers for more work (linger.go)
	ticked    bool // a linger sweep found no write for a period (linger.go)
	lingering bool // the writer is in its Hub's set of lingering writers
	pooled    bool // the writer runs on the Hub's writer pool (writerpool.go)
	worked    bool // the writer was woken with work since the last linger sweep
	started   bool // the first Write was made (writer only)
	quit      bool // the writer is done with the connection
	readDone  bool // the transport called Closed or Dropped
	due       bool // the keep-alive timer fired since the last write
	armed     bool // in the keep-alive heap, or its firing under way (armLocked, keepAliveDue)
	drop      bool // the connection was lost rather than closed
	handed    bool // the peer has been handed on (done)
}

func newLink(p *Peer, c Conn, o *AttachOptions, rs ResumeStatus) *link {
	l := &link{p: p, c: c, ka: o.KeepAlive, resumable: o.Resumable}
	if pc, ok := c.(PooledConn); ok && pc.Pooled() {
		l.pooled = true
	}
	if rs.Attempted || rs.Resumed || rs.Recovered || rs.Mended || rs.Reason != "" || rs.Gaps != nil || rs.again {
		r := rs // allocated here only
		l.resume = &r
	}
	return l
}

// status is how the connection began.
func (l *link) status() ResumeStatus {
	if l.resume == nil {
		return ResumeStatus{}
	}
	return *l.resume
}

// handedOn returns a channel closed once the peer has been handed on
// (closed has returned from connectionEnded).
func (l *link) handedOn() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == nil {
		l.done = make(chan struct{})
		if l.handed {
			close(l.done)
		}
	}
	return l.done
}

// notify starts the writer unless one runs (which then looks again) or
// the connection is over. It never blocks and holds no lock of the
// caller's: Send, Publish and Close call it.
func (l *link) notify() {
	l.mu.Lock()
	switch {
	case l.readDone || l.quit:
	case l.writing:
		l.again = true
		l.unpark()
	default:
		l.writing = true
		l.mu.Unlock()
		if l.pooled {
			l.p.hub.pool.submit(l)
		} else {
			go l.write()
		}
		return
	}
	l.mu.Unlock()
}

// write is the writer goroutine. A pass takes l.mu once after its
// flush, for what the pass leaves (the keep-alive's start, the decision
// to go on or leave) and what the next needs (again cleared): at a low
// rate a pass writes one message, and each lock is a cache line shared
// with the publishers' notify.
func (l *link) write() {
	l.mu.Lock()
	for {
		l.again = false
		l.mu.Unlock()
		r := l.flush()
		l.mu.Lock()
		if r == flushWrote {
			l.due = false // any write resets the keep-alive
			l.armLocked()
		}
		ok := r != flushEnd
		if ok && !l.readDone && l.again && l.pooled {
			// Its turn is over: the pool's other links come first.
			l.mu.Unlock()
			l.p.hub.pool.submit(l)
			return
		}
		if ok && !l.readDone && (l.again || l.linger()) {
			continue
		}
		l.unlinger()
		l.writing = false
		if !ok {
			l.quit = true
			l.stopTimer()
		}
		l.p.q.idle() // a quiet peer keeps no array grown for a burst
		if l.idle != nil {
			close(l.idle)
			l.idle = nil
		}
		l.mu.Unlock()
		return
	}
}

// flushResult is what a pass of the writer did.
type flushResult int

const (
	flushEnd   flushResult = iota // the writer is done with the connection
	flushIdle                     // nothing to write
	flushWrote                    // it wrote
)

// flush does one pass of the writer: the close the server asked for, or
// what is queued, or a keep-alive that is due.
func (l *link) flush() flushResult {
	p := l.p
	if c := p.closing.Load(); c != nil {
		l.end(CloseInfo{Code: c.code, Reason: c.reason}, false)
		if c.abrupt {
			l.c.Abort()
			return flushEnd
		}
		if _, err := l.writeQueued(); err != nil {
			l.c.Abort()
			return flushEnd
		}
		if err := l.c.WriteClose(c.code, c.reason); err != nil {
			l.c.Abort()
		}
		return flushEnd
	}
	wrote, err := l.writeQueued()
	if err == nil && !wrote {
		l.mu.Lock()
		due := l.due
		l.mu.Unlock()
		if !due {
			return flushIdle // a signal with nothing left to do
		}
		err = l.c.KeepAlive()
	}
	if err != nil {
		l.failed(err)
		return flushEnd
	}
	return flushWrote
}

// writeQueued writes what is queued, and on a connection's first pass
// writes even nothing (see Conn.Write). It reports whether it wrote.
func (l *link) writeQueued() (bool, error) {
	p := l.p
	// Loaded first: a swap takes the peer's cache line exclusively at
	// every pass, and messages are seldom dropped.
	if n := p.dropped.Load(); n > 0 {
		n = p.dropped.Swap(0)
		p.reportErrorOpen(fmt.Errorf("%w: dropped %d messages for peer %s", ErrQueueFull, n, p.id))
	}
	closing := p.closing.Load()
	batch, seq, more := p.q.take(closing == nil) // a close writes all at once
	if len(batch) == 0 && l.started {
		return false, nil
	}
	l.started = true
	if l.writes++; l.writes == 0 {
		l.writes = 1
	}
	l.inWrite.Store(l.writes)
	if c := p.closing.Load(); c != nil && c.discard {
		// An overflow came before this write began: it may not be
		// stuck for long either (link_overflow.go).
		l.abortIfStuck()
	}
	err := l.writeBatch(Batch{Payloads: batch, Seq: seq})
	l.inWrite.Store(0)
	if err != nil {
		p.q.unsend()
		return false, err
	}
	p.q.wrote()
	if more {
		l.mu.Lock()
		l.again = true // the batch was cut (queue_batch.go): write on
		l.mu.Unlock()
	}
	return true, nil
}

// failed ends the connection after a failed write: a lost connection,
// unless the server was closing it anyway or the client left
// (ErrClientLeft).
func (l *link) failed(err error) {
	p := l.p
	if c := p.closing.Load(); c != nil {
		l.end(CloseInfo{Code: c.code, Reason: c.reason, Err: err}, false)
	} else if errors.Is(err, ErrClientLeft) {
		// The reader says how: it sees the end too.
	} else if l.end(CloseInfo{Code: StatusAbnormalClosure, Reason: "write failed", Err: err}, true) {
		p.reportErrorOpen(err)
	}
	l.c.Abort()
}

// end records how the connection ended unless that is known already:
// the first to see the end says why. It reports whether info was kept.
func (l *link) end(info CloseInfo, drop bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.info != nil {
		return false
	}
	ended := info // allocated here only
	l.info, l.drop = &ended, drop
	return true
}

// arm starts the keep-alive interval (a connection's start counts as a
// write).
func (l *link) arm() {
	l.mu.Lock()
	l.armLocked()
	l.mu.Unlock()
}

// armLocked (l.mu held) starts the keep-alive interval from now, and the
// timer unless it runs or the connection is over. A running timer is not
// moved (at a low rate, moving it at each write cost as much as the rest
// of the writer's wait): keepAliveDue, when it fires, finds the last
// write and waits for the rest of the interval after it, so the
// keep-alive still goes out KeepAlive after the last write.
func (l *link) armLocked() {
	if l.ka <= 0 {
		return
	}
	l.lastWrite = time.Since(epoch)
	if !l.readDone && !l.quit && !l.armed {
		l.armed = true
		l.p.hub.keepAlives.add(l, l.lastWrite+l.ka)
	}
}

// keepAliveDue is the keep-alive timer's firing: a keep-alive is due if
// nothing was written for the interval, else the timer waits for the
// rest of it after the last write.
func (l *link) keepAliveDue() {
	l.mu.Lock()
	if l.readDone || l.quit {
		l.mu.Unlock()
		return
	}
	if idle := time.Since(epoch) - l.lastWrite; idle < l.ka {
		l.p.hub.keepAlives.add(l, l.lastWrite+l.ka)
		l.mu.Unlock()
		return
	}
	l.armed = false // wrote starts it again after the keep-alive
	l.due = true
	l.mu.Unlock()
	l.notify()
}

func (l *link) stopTimer() {
	if l.armed {
		l.p.hub.keepAlives.remove(l)
	}
	if l.stuck != nil {
		l.stuck.Stop()
	}
}

// closed is the transport reader's last call (Session.Closed, Dropped).
// It waits for the writer to leave the connection (aborting it first
// when the connection is lost: a clean close lets the writer flush what
// it is writing, which may hold the reply to the client's close), then
// hands the peer on: detached to wait for a resume, or finished.
func (l *link) closed(info CloseInfo, drop bool) {
	if c := l.p.closing.Load(); drop && c != nil {
		// The server was closing the peer (an overflow lets the write in
		// progress go on, and the client may leave or the stream be
		// reset meanwhile): report its close, as failed does.
		info, drop = CloseInfo{Code: c.code, Reason: c.reason, Err: info.Err}, false
	}
	l.mu.Lock()
	l.readDone = true
	l.stopTimer()
	if l.info == nil {
		if c := l.p.closing.Load(); c != nil {
			// The server's close came first (its writer had not sent it
			// yet): that is how the peer ends, whatever the reader saw.
			info, drop = CloseInfo{Code: c.code, Reason: c.reason, Err: info.Err}, false
		}
		ended := info
		l.info, l.drop = &ended, drop
	}
	var idle chan struct{}
	if l.writing {
		idle = make(chan struct{})
		l.idle = idle
		l.unpark()
	}
	info, drop = *l.info, l.drop
	l.mu.Unlock()
	if idle != nil {
		if drop {
			l.c.Abort()
		}
		<-idle
	}
	l.p.connectionEnded(l, info, drop)
	l.mu.Lock()
	l.handed = true
	if l.done != nil {
		close(l.done)
	}
	l.mu.Unlock()
}
