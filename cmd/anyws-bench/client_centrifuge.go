package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// The bench's clients speak just enough of centrifuge's JSON protocol
// (client protocol v2) to connect, read publications and chat:
//
//   - WebSocket: send {"id":1,"connect":{}}, wait for the reply with id 1
//     (the server subscribes the connection to the room on connect); each
//     WebSocket message holds one or more replies, one per line; a
//     publication is {"push":{"channel":"room","pub":{"data":...}}}; {}
//     is a ping, answered with {}; a chat message is the async command
//     {"send":{"data":...}}.
//   - Unidirectional SSE: each "data:" event holds one push, unwrapped:
//     first {"connect":{...}}, then {"channel":"room","pub":{"data":...}}.
//
// Publication data is the bench's payload as a JSON string (no escaping
// needed: digits, spaces and 'x', or the chat's "client N says hi M").

// centrifugeConnectWS connects c and waits for the connect reply.
func centrifugeConnectWS(ctx context.Context, c *websocket.Conn) error {
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"id":1,"connect":{}}`)); err != nil {
		return err
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		for line := range bytes.SplitSeq(b, []byte{'\n'}) {
			if bytes.HasPrefix(line, []byte(`{"id":1,`)) {
				if bytes.Contains(line, []byte(`"error"`)) {
					return fmt.Errorf("anyws-bench: centrifuge connect: %s", line)
				}
				return nil
			}
		}
	}
}

// centrifugeReader turns frames (WebSocket messages or SSE events) into
// publication payloads.
type centrifugeReader struct {
	read    func(ctx context.Context) ([]byte, error) // the next frame
	pong    func(ctx context.Context) error           // answers a ping; nil: none owed
	pending [][]byte
}

func (r *centrifugeReader) next(ctx context.Context) ([]byte, error) {
	for len(r.pending) == 0 {
		b, err := r.read(ctx)
		if err != nil {
			return nil, err
		}
		for line := range bytes.SplitSeq(b, []byte{'\n'}) {
			if bytes.Equal(line, []byte("{}")) {
				if r.pong != nil {
					if err := r.pong(ctx); err != nil {
						return nil, err
					}
				}
				continue
			}
			if d, ok := centrifugePubData(line); ok {
				r.pending = append(r.pending, d)
			} else if bytes.Contains(line, []byte(`"disconnect":`)) {
				return nil, fmt.Errorf("anyws-bench: centrifuge disconnected: %s", line)
			}
		}
	}
	p := r.pending[0]
	r.pending = r.pending[1:]
	return p, nil
}

// centrifugePubData finds a publication's data in one reply or push and
// returns it without its JSON quotes.
func centrifugePubData(line []byte) ([]byte, bool) {
	i := bytes.Index(line, []byte(`"pub":{`))
	if i < 0 {
		return nil, false
	}
	rest := line[i:]
	j := bytes.Index(rest, []byte(`"data":"`))
	if j < 0 {
		return nil, false
	}
	rest = rest[j+len(`"data":"`):]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return nil, false
	}
	return rest[:k], true
}

// centrifugeChat is a chatConn over centrifuge's WebSocket.
type centrifugeChat struct {
	c *websocket.Conn
	r centrifugeReader
}

func newCentrifugeChat(c *websocket.Conn) *centrifugeChat {
	cc := &centrifugeChat{c: c}
	cc.r.read = func(ctx context.Context) ([]byte, error) {
		_, b, err := c.Read(ctx)
		return b, err
	}
	cc.r.pong = func(ctx context.Context) error { return c.Write(ctx, websocket.MessageText, []byte("{}")) }
	return cc
}

func (cc *centrifugeChat) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	b, err := cc.r.next(ctx)
	return websocket.MessageText, b, err
}

func (cc *centrifugeChat) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	cmd := make([]byte, 0, len(p)+24)
	cmd = append(append(append(cmd, `{"send":{"data":"`...), p...), `"}}`...)
	return cc.c.Write(ctx, typ, cmd)
}

func (cc *centrifugeChat) CloseNow() error { return cc.c.CloseNow() }

// centrifugeSubscriberWS reads c from the moment it is connected, as a
// real client does: centrifuge pings every 25 s and drops a connection
// whose pong is 8 s late, and a subscriber may wait longer than that
// before it reads (the huge run dials for tens of seconds; the idle run
// never reads). Pings are answered at once; other frames wait in a
// channel for next.
func centrifugeSubscriberWS(c *websocket.Conn) *subscriber {
	type frame struct {
		b   []byte
		err error
	}
	frames := make(chan frame, 16)
	done := make(chan struct{})
	go func() {
		ctx := context.Background()
		for {
			_, b, err := c.Read(ctx)
			if err == nil && bytes.Contains(b, []byte("{}")) && centrifugeHasPing(b) {
				err = c.Write(ctx, websocket.MessageText, []byte("{}"))
			}
			select {
			case frames <- frame{b, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	r := &centrifugeReader{read: func(ctx context.Context) ([]byte, error) {
		select {
		case f := <-frames:
			return f.b, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	var once sync.Once // close may run from the run's deadline and its end at once
	return &subscriber{next: r.next, close: func() {
		once.Do(func() { close(done) })
		_ = c.CloseNow()
	}}
}

// centrifugeHasPing reports whether a frame holds a ping: an empty reply
// on a line of its own.
func centrifugeHasPing(b []byte) bool {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if bytes.Equal(line, []byte("{}")) {
			return true
		}
	}
	return false
}
