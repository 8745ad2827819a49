package websocket

import (
	"context"
	"io"
	"sync"

	ws "github.com/coder/websocket"
)

// coder/websocket's Conn.Read reads each message with io.ReadAll, which
// starts with a 512-byte buffer: every short message a client sends then
// holds 512 bytes for as long as it is queued for its subscribers (the
// Message hook owns the bytes, and a publish shares them). In a chat room
// where thousands of messages wait in queues, those buffers were the
// largest part of the server's peak memory. readMessage reads into a
// pooled buffer and returns an exact-size copy instead.

// maxPooledRead is the largest read buffer kept in readBufs; a larger
// message is returned in the buffer it was read into, without a copy.
const maxPooledRead = 64 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// readMessage is conn.Read with an exact-size result.
func readMessage(ctx context.Context, conn *ws.Conn) (ws.MessageType, []byte, error) {
	typ, r, err := conn.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	bp := readBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b[:0]
			readBufs.Put(bp)
			return 0, nil, err
		}
	}
	if cap(b) > maxPooledRead {
		return typ, b, nil // the pool keeps its old buffer: make a new one next time
	}
	msg := make([]byte, len(b))
	copy(msg, b)
	*bp = b[:0]
	readBufs.Put(bp)
	return typ, msg, nil
}
