//go:build unix

package websocket

import "syscall"

// waitReadable blocks until the socket has bytes to read (or its end, or
// an error, which the read that follows reports) without a buffer: it
// peeks one byte, and waits in the runtime's poller while there is none.
// It returns the poller's error: a read deadline passed (batchConn's
// Close sets one to wake the reader) or the connection was closed.
func (l *lazyReader) waitReadable() error {
	if l.raw == nil {
		return nil
	}
	return l.raw.Read(func(fd uintptr) bool {
		for {
			_, _, err := syscall.Recvfrom(int(fd), l.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch err {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // nothing yet: wait for the poller
			default:
				return true
			}
		}
	})
}
