package websocket

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/anyws/anyws/internal/connwrite"
)

// coder/websocket flushes its buffer after every message, so writing a
// batch of n queued messages costs n write system calls, which is what
// bounds a server's fan-out. batchConn sits under the websocket.Conn
// (Accept hijacks the connection through batchWriter) and, while a batch
// is open, collects what the Conn writes; flush sends the whole batch
// with one write. Outside a batch (pongs and close frames written by the
// reader goroutine, pings) writes go straight through.

// controlBufferSize sizes coder/websocket's write buffer. Batched messages
// bypass it into batchConn's buffer, so it only has to hold a control
// frame (at most 125 bytes of payload plus a 14-byte header) for it to go
// out in one write; net/http's default is 4 KiB per connection.
const controlBufferSize = 256

// readBufferSize sizes the read buffer coder/websocket reads frames
// through, instead of net/http's 4 KiB: it is held for the connection's
// whole life, idle or not, and 2 KiB still reads dozens of small
// messages per system call (larger payloads bypass it).
const readBufferSize = 2 << 10

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
	mu   sync.Mutex
	open bool
	buf  *[]byte // the open batch's bytes, from batchPool
}

// Write appends p to the open batch, or writes it through when none is.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
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

// flush closes the batch and writes it with one system call, within
// timeout; cancelling ctx aborts a write blocked on a client that stopped
// reading.
func (c *batchConn) flush(ctx context.Context, timeout time.Duration) error {
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
	return connwrite.Write(ctx, c.Conn, timeout, *buf)
}
