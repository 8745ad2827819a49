package anyws_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// goroutineConn is a memConn that records which goroutine made each
// Write.
type goroutineConn struct {
	*memConn
	gmu  sync.Mutex
	gids []uint64
}

func (c *goroutineConn) Write(b anyws.Batch) error {
	c.gmu.Lock()
	c.gids = append(c.gids, goid())
	c.gmu.Unlock()
	return c.memConn.Write(b)
}

// goid is the calling goroutine's id, from its stack trace's first line.
func goid() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	return id
}

// TestWriterLingers: messages sent one at a time, each written before the
// next is sent (a low rate), are written by one writer goroutine, not a
// new one each (issue 15: starting it and growing its stack per message
// was most of a low-rate fan-out's cost after the system call).
func TestWriterLingers(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	t.Cleanup(func() { _ = hub.Close() })
	hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
	require.NoError(t, err)
	c := &goroutineConn{memConn: &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}}
	s, err := hub.Attach(hs, c, nil)
	require.NoError(t, err)
	c.s = s
	go c.read()

	const n = 6
	for i := range n {
		require.NoError(t, c.peer().Send(strconv.Itoa(i)))
		require.Equal(t, []string{strconv.Itoa(i)}, c.written())
	}
	c.gmu.Lock()
	gids := c.gids
	c.gmu.Unlock()
	require.GreaterOrEqual(t, len(gids), n, "a write per message")
	// The first write may come from the writer of the connection's first
	// write, which does not linger; from then on one writer lingers and
	// writes every message.
	last := gids[len(gids)-n+1:]
	for _, g := range last {
		require.Equal(t, last[0], g, "writes %v: the last %d from one goroutine", gids, n-1)
	}
	c.leave()
}
