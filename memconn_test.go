package anyws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// memConn is a transport written against the seam (anyws.Conn) the way a
// third party would, without a network: what the core writes is recorded,
// and the test plays the client. The core's rules are tested through it;
// real transports are tested through real clients in the adapters.
type memConn struct {
	t testing.TB
	s *anyws.Session

	mu       sync.Mutex
	payloads []*anyws.Payload
	seqs     []uint64
	batches  []int             // the length of each batch written
	closes   []anyws.CloseInfo // what WriteClose sent
	gate     chan struct{}     // while non-nil, Write blocks on it (a client that stopped reading)

	endOnce sync.Once
	ended   chan struct{} // the connection is over: the "reader" reports it
	drop    bool          // ended by Abort, not by a close
	done    chan struct{} // the reader's last call returned
}

var _ anyws.Conn = (*memConn)(nil)

func (c *memConn) Write(b anyws.Batch) error {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-c.ended:
			return context.Canceled
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, len(b.Payloads))
	for i, f := range b.Payloads {
		c.payloads = append(c.payloads, f)
		c.seqs = append(c.seqs, b.Seq+uint64(i))
	}
	return nil
}

func (c *memConn) WriteClose(code anyws.StatusCode, reason string) error {
	c.mu.Lock()
	c.closes = append(c.closes, anyws.CloseInfo{Code: code, Reason: reason})
	c.mu.Unlock()
	c.end(false)
	return nil
}

func (c *memConn) KeepAlive() error { return nil }

func (c *memConn) Abort() { c.end(true) }

func (c *memConn) end(drop bool) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.drop = drop
		c.mu.Unlock()
		close(c.ended)
	})
}

// read plays the transport's reader: it reports the end of the
// connection as its last call.
func (c *memConn) read() {
	<-c.ended
	c.mu.Lock()
	drop := c.drop
	c.mu.Unlock()
	if drop {
		c.s.Dropped(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "aborted"})
	} else {
		c.s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
	}
	close(c.done)
}

func connect(t testing.TB, hub *anyws.Hub, path string) *memConn {
	return attach(t, hub, path, nil)
}

func attach(t testing.TB, hub *anyws.Hub, path string, o *anyws.AttachOptions) *memConn {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	hs, err := hub.Accept(r, nil, "fake", nil)
	require.NoError(t, err)
	c := &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}
	s, err := hub.Attach(hs, c, o)
	require.NoError(t, err)
	c.s = s
	go c.read()
	return c
}

// peer is the connection's peer.
func (c *memConn) peer() *anyws.Peer { return c.s.Peer() }

// written waits until everything queued was written and returns the text
// of what was written since the last call.
func (c *memConn) written() []string {
	var out []string
	for _, f := range c.writtenPayloads() {
		out = append(out, f.Message().Text())
	}
	return out
}

// writtenPayloads is written, as the payloads.
func (c *memConn) writtenPayloads() []*anyws.Payload {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.peer().Drain(ctx)
	require.NotErrorIs(c.t, err, context.DeadlineExceeded, "the writer did not write what was queued")
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.payloads
	c.payloads, c.seqs = nil, nil
	return out
}

// stall stops the client reading: writes block until the returned
// function lets them through.
func (c *memConn) stall() (release func()) {
	gate := make(chan struct{})
	c.mu.Lock()
	c.gate = gate
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.gate = nil
		c.mu.Unlock()
		close(gate)
	}
}

// waitEnded waits until the reader made its last call.
func (c *memConn) waitEnded() {
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Fatal("the connection did not end")
	}
}

// leave closes the connection from the client's side.
func (c *memConn) leave() {
	c.end(false)
	c.waitEnded()
}

// cut drops the connection, as a network would.
func (c *memConn) cut() {
	c.end(true)
	c.waitEnded()
}

func (c *memConn) finish() { c.leave() }
