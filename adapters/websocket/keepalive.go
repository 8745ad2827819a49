package websocket

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// keepAlive pings the client and waits for its pong with a timer, not a
// goroutine: the ping is a frame written straight to the connection
// (batchConn.writePing), and the pong is seen by whichever reads it,
// idleWait or coder/websocket's Read (OnPongReceived). coder/websocket's
// Ping cannot be used: it waits for a pong that its own Read consumed,
// and idleWait consumes most pongs before Read sees them (and cancelling
// a Ping whose write is still in progress closes the connection).
type keepAlive struct {
	mu      sync.Mutex
	out     bool        // a ping waits for its pong
	stopped bool        // the reader is ending: no more pings
	timer   *time.Timer // PingTimeout of the ping out
}

// keepAlive is Conn.KeepAlive: a ping, unless one is out still.
func (c *peerConn) keepAlive() error {
	k := &c.ka
	k.mu.Lock()
	if k.out || k.stopped {
		k.mu.Unlock()
		return nil
	}
	k.out = true
	if k.timer == nil {
		k.timer = time.AfterFunc(c.h.opts.PingTimeout, c.pingTimedOut)
	} else {
		k.timer.Reset(c.h.opts.PingTimeout)
	}
	k.mu.Unlock()
	return c.bc.writePing()
}

// sawPong answers the ping out. Any pong does: RFC 6455 allows
// unsolicited ones, and one only shows the client is alive.
func (c *peerConn) sawPong() {
	k := &c.ka
	k.mu.Lock()
	if k.out {
		k.out = false
		k.timer.Stop()
	}
	k.mu.Unlock()
}

// onPong is coder/websocket's OnPongReceived.
func (c *peerConn) onPong(context.Context, []byte) { c.sawPong() }

// pingTimedOut aborts the connection when the pong is late; the reader
// then reports the drop as a ping timeout.
func (c *peerConn) pingTimedOut() {
	k := &c.ka
	k.mu.Lock()
	late := k.out && !k.stopped
	k.out = false
	if late {
		// No ping after this one: its write would fail on the aborted
		// connection and could report "write failed" before the reader
		// reports the timeout.
		k.stopped = true
	}
	k.mu.Unlock()
	if late {
		err := fmt.Errorf("websocket: no pong within %v", c.h.opts.PingTimeout)
		c.lateErr.Store(&err)
		_ = c.conn.CloseNow()
	}
}

// stopPings is the reader's, as it ends.
func (c *peerConn) stopPings() {
	k := &c.ka
	k.mu.Lock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
	k.mu.Unlock()
}
