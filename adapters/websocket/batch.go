package websocket

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/internal/connwrite"
)

// coder/websocket flushes its buffer after every message, so writing a
// batch of n queued messages costs n write system calls, which is what
// bounds a server's fan-out. batchConn sits under the websocket.Conn
// (Accept hijacks the connection through batchWriter) and, while a batch
// is open, collects what the Conn writes; flush sends the whole batch
// with one write. Outside a batch writes go straight through.
//
// Control frames never wait behind a batch: a pong or a ping written
// while a batch is open goes out at once, ahead of it (between whole
// frames, which RFC 6455 allows). A close frame (the reply to a client's
// close, or a protocol error's) cannot go ahead of messages, and nothing
// may follow it, so it is written at once together with the open batch
// before it: closing the socket after it then loses nothing.
//
// Once a close frame went out, Close does not reset the connection: it
// sends a FIN after what was written and lets the reader drain what the
// client still sends until its FIN or lingerTimeout (finish), as a socket
// closed with unread data makes the kernel send an RST, which discards
// what the client had not read yet, our close frame included.

// controlBufferSize sizes coder/websocket's write buffer, kept for the
// connection's life. Batched messages bypass it into batchConn's buffer,
// so it only has to hold a control frame for it to go out in one write:
// a server's is at most 127 bytes (a 2-byte header, no mask, and at most
// 125 bytes of payload); net/http's default is 4 KiB per connection.
// (Messages coder/websocket compresses go through it too, in as many
// writes as they take, all into the open batch.)
const controlBufferSize = 128

// lingerTimeout bounds how long a closed connection reads what the
// client still sends before its FIN (see finish).
const lingerTimeout = 2 * time.Second

// maxKeptBatch is the largest batch buffer returned to the pool.
const maxKeptBatch = 64 << 10

// batchPool holds batch buffers between batches: an idle connection
// keeps none.
var batchPool = sync.Pool{New: func() any { return new([]byte) }}

// batchConn is the hijacked connection with a batching write side. Its
// mutex serializes writes on the connection (held across the network
// write of a batch, as coder/websocket holds its own write lock); it is
// never held by anything else.
type batchConn struct {
	net.Conn
	// timeout bounds every write on the connection (Options.WriteTimeout),
	// through dl (see internal/connwrite): batches, and control frames
	// written straight through, which had no deadline before.
	timeout time.Duration
	dl      connwrite.Deadline
	buf     *[]byte       // the open batch's bytes, from batchPool
	shut    chan struct{} // closed by Close
	// c is the peerConn it is part of: its lazyReader is what Read reads
	// through (batch_read.go), when lazyRead; its idleWait, if any, is
	// where the reader parks (idlepark_linux.go).
	c     *peerConn
	scan  frameScanner
	mu    sync.Mutex
	once  sync.Once   // Close
	init  sync.Once   // closed
	sent  atomic.Bool // a close frame went out
	grace atomic.Bool // Close was graceful: finish drains
	open  bool
	// deflate: permessage-deflate was negotiated (frames_direct.go).
	deflate bool
}

// closed returns the channel Close closes (the zero batchConn is ready
// for use).
func (c *batchConn) closed() chan struct{} {
	c.init.Do(func() { c.shut = make(chan struct{}) })
	return c.shut
}

// Write appends p to the open batch, or writes it through when none is
// open or p is a ping or pong; a close frame flushes the batch with it.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.scan.feed(p)
	if r.close {
		c.sent.Store(true)
	}
	if !c.open || (r.control && !r.close) {
		return c.dl.Write(c.Conn, c.timeout, p)
	}
	*c.buf = append(*c.buf, p...)
	if !r.close {
		return len(p), nil
	}
	b := *c.buf
	*c.buf = b[:0]
	if _, err := c.dl.Write(c.Conn, c.timeout, b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// closeSent reports whether a close frame went out, and its code and
// reason.
func (c *batchConn) closeSent() (code uint16, reason string, ok bool) {
	if !c.sent.Load() {
		return 0, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	code, reason = c.scan.closeSent()
	return code, reason, true
}

// Close is coder/websocket's last call on the connection. Before a close
// frame went out (an abort) it closes the socket at once. After, it only
// ends the writing side (FIN) and unblocks any write; finish closes the
// socket once the client has sent its FIN.
func (c *batchConn) Close() error {
	var err error
	c.once.Do(func() {
		// Out of the poller while the socket is open, and a parked
		// reader started to see the end.
		c.c.idle.shut()
		defer close(c.closed())
		if !c.sent.Load() {
			err = c.Conn.Close()
			return
		}
		c.grace.Store(true)
		_ = c.Conn.SetWriteDeadline(time.Unix(1, 0))
		if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		// Wake a reader blocked in coder/websocket; finish reads on.
		_ = c.Conn.SetReadDeadline(time.Unix(1, 0))
	})
	return err
}

// finish closes the socket for good after coder/websocket closed the
// connection. After a completed close handshake (linger: the client's
// close frame was read) it first waits for the client's FIN, discarding
// what it still sends, for at most lingerTimeout; a client that did not
// answer the close is not waited for.
func (c *batchConn) finish(linger bool) {
	<-c.closed()
	if c.grace.Load() {
		if linger {
			_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout))
			_, _ = io.Copy(io.Discard, c.Conn)
		}
		_ = c.Conn.Close()
	}
}

// begin opens a batch: writes are collected until flush.
func (c *batchConn) begin() {
	c.mu.Lock()
	c.open = true
	c.buf = batchPool.Get().(*[]byte)
	c.mu.Unlock()
}

// discard closes the batch without writing it, after a failed Write.
func (c *batchConn) discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open = false
	if c.buf != nil && cap(*c.buf) <= maxKeptBatch {
		*c.buf = (*c.buf)[:0]
		batchPool.Put(c.buf)
	}
	c.buf = nil
}

// flush closes the batch and writes it with one system call, within the
// write timeout; Abort (CloseNow) unblocks a write to a client that
// stopped reading.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open = false
	buf := c.buf
	c.buf = nil
	if buf == nil {
		return nil
	}
	defer func() {
		if cap(*buf) <= maxKeptBatch {
			*buf = (*buf)[:0]
			batchPool.Put(buf)
		}
	}()
	if len(*buf) == 0 {
		return nil
	}
	_, err := c.dl.Write(c.Conn, c.timeout, *buf)
	return err
}
