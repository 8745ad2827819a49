package websocket

import (
	"net"
	"sync"
	"syscall"
)

// coder/websocket reads frames through the bufio.Reader the hijack hands
// it, for the connection's whole life, and an idle peer's reader sits
// blocked in it: a buffer there is held by every idle connection (2 KiB
// was a fifth of an idle WebSocket peer's memory). lazyReader sits under
// a minimal bufio.Reader instead and holds a pooled chunk only while
// received bytes wait to be read: it waits for the socket to become
// readable without a buffer (waitReadable, where the platform lets it
// peek), then takes a chunk, reads, and gives the chunk back once it is
// drained. Reads at least a chunk long (message payloads) go straight
// into the caller's slice.

// readChunkSize is the size of the chunks a connection reads into.
const readChunkSize = 4 << 10

// minBufioSize is bufio's smallest reader (it rounds smaller sizes up):
// coder/websocket's frame headers (2 to 14 bytes) come through it.
const minBufioSize = 16

var readChunks = sync.Pool{New: func() any { b := make([]byte, readChunkSize); return &b }}

// It reads from the connection its caller passes (the batchConn's), so
// that it holds no copy of it.
type lazyReader struct {
	raw  syscall.RawConn // nil: cannot wait without a buffer
	buf  *[]byte         // the chunk holding unread bytes, nil when none
	r, w int32           // unread bytes are (*buf)[r:w] (a chunk is 4 KiB)
	peek [1]byte         // waitReadable's, here so it is not allocated per wait
}

// init makes l, a zero lazyReader, ready to read from conn (it lives in
// its peerConn: see batchWriter.Hijack).
func (l *lazyReader) init(conn net.Conn) {
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			l.raw = raw
		}
	}
}

// read reads from conn into p as a bufio.Reader's Read would.
func (l *lazyReader) read(conn net.Conn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.buf == nil {
		if err := l.waitReadable(); err != nil {
			return 0, err
		}
		if len(p) >= readChunkSize {
			return conn.Read(p)
		}
		bp := readChunks.Get().(*[]byte)
		n, err := conn.Read(*bp)
		if n == 0 {
			readChunks.Put(bp)
			return 0, err
		}
		// An error that came with data comes again on the next read.
		l.buf, l.r, l.w = bp, 0, int32(n)
	}
	n := copy(p, (*l.buf)[l.r:l.w])
	l.r += int32(n)
	if l.r == l.w {
		readChunks.Put(l.buf)
		l.buf = nil
	}
	return n, nil
}

// preload makes b (bytes read ahead of the connection) the first to be
// read, in a chunk; it reports false when they do not fit one.
func (l *lazyReader) preload(b []byte) bool {
	if len(b) > readChunkSize {
		return false
	}
	bp := readChunks.Get().(*[]byte)
	l.buf, l.r, l.w = bp, 0, int32(copy(*bp, b))
	return true
}

// buffered reports whether received bytes wait in the chunk.
func (l *lazyReader) buffered() bool { return l.buf != nil }

// fill reads what the socket has into a chunk, after waitReadable. It
// reports false when nothing was read (the end, or an error): the next
// Read reports it.
func (l *lazyReader) fill(conn net.Conn) bool {
	bp := readChunks.Get().(*[]byte)
	n, _ := conn.Read(*bp) // an error that came with data comes again
	if n == 0 {
		readChunks.Put(bp)
		return false
	}
	l.buf, l.r, l.w = bp, 0, int32(n)
	return true
}

// unread is the bytes the chunk holds.
func (l *lazyReader) unread() []byte { return (*l.buf)[l.r:l.w] }

// skip drops n unread bytes, and the chunk once it is drained.
func (l *lazyReader) skip(n int) {
	l.r += int32(n)
	if l.r == l.w {
		readChunks.Put(l.buf)
		l.buf = nil
	}
}
