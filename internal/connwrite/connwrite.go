// Package connwrite writes to a connection the way every adapter must:
// with a deadline, so that a client that stopped reading cannot hold a
// writer for longer than the write timeout. The WebSocket adapter and the
// HTTP/1.1 SSE stream, which both own their hijacked connection, share it.
//
// Setting a deadline before each write and clearing it after cost two
// timer updates per write, a fifth of a fan-out's CPU at low rates
// (issue 15). A Deadline instead keeps the connection's write deadline
// ahead of every write, moving it only when it came within
// refreshFraction of its timeout: at most one update every timeout/8 per
// connection, and each write still has between 7/8 of the timeout and
// all of it. The deadline is left set while the connection is idle; it
// only applies to writes, and the next write moves it first.
// A connection the server drops is closed (Abort), which unblocks a write
// at once: no context is needed for that.
package connwrite

import (
	"net"
	"time"
)

// refreshFraction: the deadline moves when less than (1-1/8) of the
// timeout is left.
const refreshFraction = 8

// Deadline is a connection's write deadline as last set. The zero value
// has none set. It is not safe for concurrent use: the caller serializes
// writes (every adapter holds its connection's write lock).
type Deadline struct{ at time.Time }

// Write writes b to conn, first moving the write deadline to timeout from
// now if it is nearer than that by more than timeout/8. timeout <= 0
// writes with no deadline.
func (d *Deadline) Write(conn net.Conn, timeout time.Duration, b []byte) (int, error) {
	d.ahead(conn, timeout)
	return conn.Write(b)
}

func (d *Deadline) ahead(conn net.Conn, timeout time.Duration) {
	if timeout <= 0 {
		if !d.at.IsZero() {
			d.at = time.Time{}
			_ = conn.SetWriteDeadline(d.at)
		}
		return
	}
	now := time.Now()
	if d.at.Sub(now) < timeout-timeout/refreshFraction {
		d.at = now.Add(timeout)
		_ = conn.SetWriteDeadline(d.at)
	}
}

// Write writes b once to conn within timeout, clearing the deadline
// afterwards: for a single write on a connection that is handed on.
func Write(conn net.Conn, timeout time.Duration, b []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := conn.Write(b)
	_ = conn.SetWriteDeadline(time.Time{})
	return err
}
