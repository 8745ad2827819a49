//go:build linux

package websocket

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An event's id finds its connection only while that registration
// lasts: once the connection left and another took its slot, the old id
// (an event read before the first left) finds nothing.
func TestPollerSlots(t *testing.T) {
	t.Parallel()
	pollers.mu.Lock()
	defer pollers.mu.Unlock()
	p := &poller{}
	a, b, c := &idleWait{}, &idleWait{}, &idleWait{}
	p.add(a)
	p.add(b)
	require.NotEqual(t, a.id, b.id)
	require.NotEqual(t, uint64(wakeID), a.id)
	require.Same(t, a, p.lookup(a.id))
	require.Same(t, b, p.lookup(b.id))
	require.Equal(t, 2, p.n)

	old := a.id
	p.remove(a)
	require.Nil(t, p.lookup(old))
	p.add(c)
	require.Equal(t, uint32(old), uint32(c.id), "c reuses a's slot")
	require.NotEqual(t, old, c.id)
	require.Nil(t, p.lookup(old), "a's id does not find c")
	require.Same(t, c, p.lookup(c.id))
	require.Nil(t, p.lookup(uint64(1)<<32|99), "a slot past the table")
	require.Equal(t, 2, p.n)
	require.Len(t, p.conns, 2)
}
