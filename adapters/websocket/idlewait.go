package websocket

import (
	"bufio"
	"sync"
)

// An idle peer's reader goroutine would wait inside coder/websocket's
// Read, whose call chain needs more than the 2 KiB a goroutine starts
// with: every idle connection then kept a 4 KiB stack. idleWait lets the
// reader wait for the next frame in its own shallow frame instead, and
// call Read only once bytes have arrived; the GC shrinks a stack that
// grew during a burst back once its goroutine waits here again.
//
// The keep-alive would undo that: coder/websocket reads the client's
// pong inside Read, which then waits deep for the next message. So a
// pong that arrives while the reader waits here (whole, at the front of
// what arrived: the common case, a client answering a ping) is consumed
// here and reported to the keep-alive (keepalive.go). Any other frame,
// or a pong split across reads, is left to Read, which reports pongs to
// the keep-alive too (AcceptOptions.OnPongReceived).

// idleWait waits for a connection's next frame without a buffer and with
// a shallow stack. It exists only where lazyReader can wait for the
// socket without a buffer.
type idleWait struct {
	// c is the connection it belongs to: it waits on c's lazyReader
	// (c.lazy), reports a consumed pong to its keep-alive (sawPong), and
	// runs its reader again (resumeRead, on a new goroutine) after it
	// parked (idlepark_linux.go).
	c  *peerConn
	br *bufio.Reader // coder/websocket's reader, over c.lazy

	// coder/websocket's Close reads the client's close frame on its
	// caller's goroutine, through br and lazy, while the reader may wait
	// here. mu orders the two: wait touches br and lazy only under mu
	// and before closing is set (stop), and Close is called after.
	mu      sync.Mutex
	closing bool
	parking // idlepark_linux.go
}

// stop is called before coder/websocket's Close: wait touches nothing
// after it, and returns to let Read (which waits for Close) report the
// end.
func (w *idleWait) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
}

// initIdle sets up c's idleWait over lazy and br, coder/websocket's
// reader, and returns it; nil when the connection cannot wait so (its
// reader is net/http's, or the platform cannot peek).
func (c *peerConn) initIdle(lazy *lazyReader, br *bufio.Reader) *idleWait {
	if lazy == nil || lazy.raw == nil {
		return nil
	}
	c.idleW.br, c.idleW.c = br, c // lazy is &c.lazy
	return &c.idleW
}

// wait returns once bytes other than whole pongs have arrived (or the
// connection ended, or a read deadline passed: Read reports those). It
// returns at once while coder/websocket or lazy still hold unread bytes.
func (w *idleWait) wait() {
	if w == nil {
		return
	}
	for w.idle() {
		if w.c.lazy.waitReadable() != nil || !w.fill() {
			return
		}
	}
}

// idle reports whether nothing received waits to be read (and no close
// is in progress).
func (w *idleWait) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.closing && w.br.Buffered() == 0 && !w.c.lazy.buffered()
}

// fill reads what arrived and consumes the pongs at its front.
func (w *idleWait) fill() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing || w.c.lazy.buffered() {
		return false
	}
	if !w.c.lazy.fill(w.c.bc.Conn) {
		return false
	}
	w.consumePongs()
	return true
}

// consumePongs consumes the whole masked pong frames at the front of the
// unread bytes (a client's frames are masked; an unmasked one is left
// for Read to refuse).
func (w *idleWait) consumePongs() {
	for w.c.lazy.buffered() {
		b := w.c.lazy.unread()
		if len(b) < 2 || b[0] != 0x80|opPong || b[1]&0x80 == 0 {
			return
		}
		n := 2 + 4 + int(b[1]&0x7f)
		if b[1]&0x7f > 125 || len(b) < n {
			return
		}
		w.c.lazy.skip(n)
		w.c.sawPong()
	}
}

// answerPings consumes the whole masked pings (and pongs) at the front of
// the unread bytes and answers each ping with a pong through write, as
// coder/websocket would; it reports whether it consumed any. A ping would
// otherwise pull the reader into coder/websocket's Read, which answers it
// and then waits there, deep, for the client's next message: a goroutine
// held while idle by every client that pings.
func (w *idleWait) answerPings(write func(payload []byte) error) bool {
	if w == nil {
		return false
	}
	consumed := false
	for {
		w.mu.Lock()
		// Frames start at the front of lazy's bytes only while
		// coder/websocket's reader holds none (between messages).
		if w.closing || !w.c.lazy.buffered() || w.br.Buffered() != 0 {
			w.mu.Unlock()
			return consumed
		}
		before := w.c.lazy.r
		w.consumePongs()
		payload, ok := w.takePing()
		if !ok {
			consumed = consumed || !w.c.lazy.buffered() || w.c.lazy.r != before
			w.mu.Unlock()
			return consumed
		}
		w.mu.Unlock()
		consumed = true
		_ = write(payload) // a failed write: the next Read reports the end
	}
}

// takePing consumes a whole masked ping at the front of the unread bytes
// and returns its payload, unmasked (under mu).
func (w *idleWait) takePing() ([]byte, bool) {
	if !w.c.lazy.buffered() {
		return nil, false
	}
	b := w.c.lazy.unread()
	if len(b) < 2 || b[0] != 0x80|opPing || b[1]&0x80 == 0 || b[1]&0x7f > 125 {
		return nil, false
	}
	n := 2 + 4 + int(b[1]&0x7f)
	if len(b) < n {
		return nil, false
	}
	key := b[2:6]
	payload := make([]byte, n-6)
	for i := range payload {
		payload[i] = b[6+i] ^ key[i&3]
	}
	w.c.lazy.skip(n)
	return payload, true
}
