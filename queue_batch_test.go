package anyws_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// A backlog is written in batches of at most 64 KiB (counting 64 bytes
// per message, as the queue bound does), in order and complete: a
// transport encodes a batch into one buffer, and an uncapped batch made a
// backlogged peer hold a buffer as large as its backlog.
func TestBacklogWrittenInBoundedBatches(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	defer c.finish()
	require.Empty(t, c.written(), "the first write (of nothing) is done")
	release := c.stall()
	c.mu.Lock()
	c.batches = nil
	c.mu.Unlock()
	p := c.peer()
	const n = 3000
	pad := strings.Repeat("x", 100)
	for i := range n {
		require.NoError(t, p.Send(strconv.Itoa(i)+pad))
	}
	release()
	got := c.written()
	require.Len(t, got, n)
	for i, s := range got {
		require.Equal(t, strconv.Itoa(i)+pad, s, "message %d", i)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	const perMessage = 103 + 64 // the longest message and the overhead counted for each
	for i, b := range c.batches {
		require.LessOrEqual(t, b, 64<<10/perMessage+1, "batch %d of %v", i, c.batches)
	}
	require.Greater(t, len(c.batches), 2, "the backlog took several batches: %v", c.batches)
}

// A close with a backlog writes all of it before the close, whatever
// the batch bound.
func TestCloseWritesWholeBacklog(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	require.Empty(t, c.written())
	release := c.stall()
	p := c.peer()
	const n = 2000
	pad := strings.Repeat("y", 100)
	for i := range n {
		require.NoError(t, p.Send(strconv.Itoa(i)+pad))
	}
	require.NoError(t, p.Close(anyws.StatusNormalClosure, "bye"))
	release()
	c.waitEnded()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.payloads, n, "every queued message before the close")
	for i, f := range c.payloads {
		require.Equal(t, strconv.Itoa(i)+pad, f.Message().Text())
	}
	require.Equal(t, []anyws.CloseInfo{{Code: anyws.StatusNormalClosure, Reason: "bye"}}, c.closes)
}
