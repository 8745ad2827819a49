package anyws_test

import (
	"cmp"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// The writer's timers (the keep-alive and the linger) are not moved at
// each write: they fire and then look at what happened since. These
// tests pin what that must keep, on the fake clock of testing/synctest.

// timedConn is a memConn that records when each keep-alive happened and
// which goroutine began each write; each Write takes slow (fake time).
type timedConn struct {
	*memConn
	slow time.Duration

	tmu  sync.Mutex
	kas  []time.Time
	gids []uint64
}

func (c *timedConn) Write(b anyws.Batch) error {
	c.tmu.Lock()
	c.gids = append(c.gids, goid())
	c.tmu.Unlock()
	time.Sleep(c.slow)
	return c.memConn.Write(b)
}

func (c *timedConn) KeepAlive() error {
	c.tmu.Lock()
	c.kas = append(c.kas, time.Now())
	c.tmu.Unlock()
	return nil
}

func (c *timedConn) keepAlives(start time.Time) []time.Duration {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	var out []time.Duration
	for _, at := range c.kas {
		out = append(out, at.Sub(start))
	}
	return out
}

func (c *timedConn) lastGID() uint64 {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	return c.gids[len(c.gids)-1]
}

// attachTimed attaches a timedConn to a new Hub, inside a synctest
// bubble; the Hub is closed at the end of the test.
func attachTimed(t *testing.T, slow time.Duration, o *anyws.AttachOptions) (*anyws.Hub, *timedConn) {
	hub := anyws.New(anyws.Hooks{}, nil)
	t.Cleanup(func() { _ = hub.Close() })
	hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
	require.NoError(t, err)
	c := &timedConn{memConn: &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}, slow: slow}
	s, err := hub.Attach(hs, c, o)
	require.NoError(t, err)
	c.s = s
	go c.read()
	return hub, c
}

// TestKeepAliveFromLastWrite: the keep-alive goes out KeepAlive after
// the last write, not after the first write or the connection's start,
// and again KeepAlive after it.
func TestKeepAliveFromLastWrite(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		_, c := attachTimed(t, 0, &anyws.AttachOptions{KeepAlive: time.Second})
		time.Sleep(600 * time.Millisecond)
		require.NoError(t, c.peer().Send("a"))
		time.Sleep(600 * time.Millisecond)
		require.NoError(t, c.peer().Send("b")) // at 1.2 s
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		require.Empty(t, c.keepAlives(start), "keep-alives before the interval after the last write (1.2 s) went by")
		time.Sleep(1100 * time.Millisecond) // to 3.299 s
		synctest.Wait()
		require.Equal(t, []time.Duration{2200 * time.Millisecond, 3200 * time.Millisecond}, c.keepAlives(start),
			"keep-alives one interval after the last write, then one interval after that")
		require.NoError(t, c.peer().Send("c")) // at 3.299 s
		time.Sleep(1001 * time.Millisecond)
		synctest.Wait()
		require.Equal(t, []time.Duration{2200 * time.Millisecond, 3200 * time.Millisecond, 4299 * time.Millisecond}, c.keepAlives(start),
			"a keep-alive one interval after the write that followed a keep-alive")
		require.Equal(t, []string{"a", "b", "c"}, c.written())
	})
}

// TestWriterLeavesWhenQuiet: a writer that lingers writes every message
// of a slow run itself, and leaves after between one and two seconds
// without any (the next message has a new writer), even when its
// linger timer fired while it was writing (here a write takes longer
// than the linger period).
func TestWriterLeavesWhenQuiet(t *testing.T) {
	t.Parallel()
	for _, slow := range []time.Duration{0, 1500 * time.Millisecond} {
		synctest.Test(t, func(t *testing.T) {
			_, c := attachTimed(t, slow, nil)
			synctest.Wait() // the connection's first write (its writer does not linger)
			require.NoError(t, c.peer().Send("0"))
			synctest.Wait()
			first := c.lastGID()
			for i := range 4 {
				time.Sleep(500 * time.Millisecond)
				require.NoError(t, c.peer().Send(string(rune('1'+i))))
				synctest.Wait()
				require.Equal(t, first, c.lastGID(), "slow %v, message %d: written by the lingering writer", slow, i+1)
			}
			// Writes queued behind slow ones end after the last send:
			// the quiet begins when the last of them ends.
			require.NoError(t, c.peer().Drain(t.Context()))
			time.Sleep(2001 * time.Millisecond)
			require.NoError(t, c.peer().Send("5"))
			synctest.Wait()
			require.NotEqual(t, first, c.lastGID(), "slow %v: the writer still lingered after 2 s without work", slow)
			require.Equal(t, []string{"0", "1", "2", "3", "4", "5"}, c.written())
		})
	}
}

// TestKeepAlivesOfManyPeers: the Hub's connections share one keep-alive
// timer (keepalive.go); each still gets its keep-alive one interval
// after its own last write, whatever the others' intervals, and one
// that ended gets none.
func TestKeepAlivesOfManyPeers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		hub := anyws.New(anyws.Hooks{}, nil)
		t.Cleanup(func() { _ = hub.Close() })
		attachTo := func(ka time.Duration) *timedConn {
			hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
			require.NoError(t, err)
			c := &timedConn{memConn: &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}}
			s, err := hub.Attach(hs, c, &anyws.AttachOptions{KeepAlive: ka})
			require.NoError(t, err)
			c.s = s
			go c.read()
			return c
		}
		// Attached at 0, in an order that is not their firing order.
		slow, fast, mid, gone := attachTo(1500*time.Millisecond), attachTo(700*time.Millisecond), attachTo(time.Second), attachTo(900*time.Millisecond)
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, mid.peer().Send("m")) // at 0.3 s: mid's next at 1.3 s
		time.Sleep(500 * time.Millisecond)       // to 0.8 s
		synctest.Wait()
		require.NoError(t, gone.peer().Close(anyws.StatusNormalClosure, "")) // before its keep-alive at 0.9 s
		gone.waitEnded()
		time.Sleep(2150 * time.Millisecond) // to 2.95 s
		synctest.Wait()
		ms := func(v ...int) []time.Duration {
			var out []time.Duration
			for _, n := range v {
				out = append(out, time.Duration(n)*time.Millisecond)
			}
			return out
		}
		require.Equal(t, ms(700, 1400, 2100, 2800), fast.keepAlives(start))
		require.Equal(t, ms(1300, 2300), mid.keepAlives(start))
		require.Equal(t, ms(1500), slow.keepAlives(start))
		require.Empty(t, gone.keepAlives(start))
		for _, c := range []*timedConn{slow, fast, mid} {
			c.finish()
			c.waitEnded()
		}
	})
}

// TestLingerAcrossSweeps: a Hub's lingering writers share one sweep
// (linger.go), and each writer's quiet starts at its own point of the
// sweep's period; each still lingers at least one period after its last
// message and leaves within two.
func TestLingerAcrossSweeps(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const n = 20
		const stride = 111 * time.Millisecond // n strides span two periods
		hub := anyws.New(anyws.Hooks{}, nil)
		t.Cleanup(func() { _ = hub.Close() })
		conns := make([]*timedConn, n)
		for i := range conns {
			hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
			require.NoError(t, err)
			c := &timedConn{memConn: &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}}
			s, err := hub.Attach(hs, c, nil)
			require.NoError(t, err)
			c.s = s
			go c.read()
			conns[i] = c
		}
		synctest.Wait() // the connections' first writes (their writers do not linger)
		send := func(c *timedConn, m string) uint64 {
			require.NoError(t, c.peer().Send(m))
			synctest.Wait()
			return c.lastGID()
		}
		// Writer i goes quiet at i strides and gets a message 999 ms
		// later: the events in time order.
		type event struct {
			at    time.Duration
			i     int
			check bool
		}
		var events []event
		for i := range n {
			events = append(events, event{at: time.Duration(i) * stride, i: i}, event{at: time.Duration(i)*stride + 999*time.Millisecond, i: i, check: true})
		}
		slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })
		start := time.Now()
		lingering := make([]uint64, n)
		for _, e := range events {
			time.Sleep(e.at - time.Since(start))
			c := conns[e.i]
			if !e.check {
				lingering[e.i] = send(c, "a") // its writer lingers now
				continue
			}
			require.Equal(t, lingering[e.i], send(c, "c"), "writer %d left before a period without work", e.i)
		}
		time.Sleep(2001 * time.Millisecond)
		for i, c := range conns {
			require.NotEqual(t, lingering[i], send(c, "d"), "writer %d still lingered after two periods without work", i)
			require.Equal(t, []string{"a", "c", "d"}, c.written())
		}
	})
}
