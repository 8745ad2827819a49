package connwrite_test

import (
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/connwrite"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingConn counts SetWriteDeadline calls.
type countingConn struct {
	net.Conn
	sets int
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.sets++
	return c.Conn.SetWriteDeadline(t)
}

func pipe(t *testing.T) (*countingConn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return &countingConn{Conn: a}, b
}

// TestDeadlineSetOnce: writes in quick succession share one deadline.
func TestDeadlineSetOnce(t *testing.T) {
	c, peer := pipe(t)
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	var d connwrite.Deadline
	for range 100 {
		_, err := d.Write(c, time.Hour, []byte("x"))
		require.NoError(t, err)
	}
	require.Equal(t, 1, c.sets, "one deadline for 100 writes within an eighth of the timeout")
}

// TestDeadlineMovesAhead: once an eighth of the timeout went by, the next
// write moves the deadline; after an idle period longer than the timeout
// (the deadline long past) a write still goes through.
func TestDeadlineMovesAhead(t *testing.T) {
	c, peer := pipe(t)
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	var d connwrite.Deadline
	const timeout = 40 * time.Millisecond
	_, err := d.Write(c, timeout, []byte("a"))
	require.NoError(t, err)
	time.Sleep(2 * timeout) // idle: the deadline set for "a" has passed
	_, err = d.Write(c, timeout, []byte("b"))
	require.NoError(t, err, "a write after an idle period moves the deadline first")
	require.Equal(t, 2, c.sets)
}

// TestDeadlineStalled: a write to a peer that does not read fails within
// the timeout.
func TestDeadlineStalled(t *testing.T) {
	c, _ := pipe(t)
	var d connwrite.Deadline
	_, err := d.Write(c, 50*time.Millisecond, []byte("nobody reads this"))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

// TestDeadlineNone: timeout <= 0 clears a deadline set before.
func TestDeadlineNone(t *testing.T) {
	c, peer := pipe(t)
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	var d connwrite.Deadline
	_, err := d.Write(c, 20*time.Millisecond, []byte("a"))
	require.NoError(t, err)
	_, err = d.Write(c, 0, []byte("b"))
	require.NoError(t, err)
	time.Sleep(40 * time.Millisecond)
	_, err = d.Write(c, 0, []byte("c"))
	require.NoError(t, err, "no deadline left behind")
	require.Equal(t, 2, c.sets)
}
