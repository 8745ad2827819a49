// Package connwrite writes to a connection the way every adapter must:
// with a deadline, and abortable at once when the server drops the peer
// (a write blocked on a client that stopped reading must not hold the
// writer until its deadline). The WebSocket adapter and the HTTP/1.1 SSE
// stream, which both own their hijacked connection, share it.
package connwrite

import (
	"context"
	"net"
	"time"
)

// Write writes b to conn within timeout, or until ctx is cancelled,
// whichever comes first. Unless ctx aborted it, the deadline is cleared
// afterwards, so a write made directly on conn later (a WebSocket pong)
// does not inherit it.
func Write(ctx context.Context, conn net.Conn, timeout time.Duration, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_ = conn.SetWriteDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Unix(1, 0)) })
	_, err := conn.Write(b)
	if stop() {
		_ = conn.SetWriteDeadline(time.Time{})
	}
	return err
}
