package anyws_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// resumable is how a transport whose clients can resume attaches.
func resumable(claim string) *anyws.AttachOptions {
	return &anyws.AttachOptions{Resumable: true, Resume: claim}
}

// hookLog records hooks by name, in order.
type hookLog struct {
	mu  sync.Mutex
	got []string
}

func (l *hookLog) add(s string) {
	l.mu.Lock()
	l.got = append(l.got, s)
	l.mu.Unlock()
}

func (l *hookLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

func logHooks(l *hookLog) anyws.Hooks {
	return anyws.Hooks{
		Open:       func(p *anyws.Peer) { l.add("open") },
		Disconnect: func(p *anyws.Peer, c anyws.CloseInfo) { l.add("disconnect") },
		Resume:     func(p *anyws.Peer) { l.add("resume") },
		Close:      func(p *anyws.Peer, c anyws.CloseInfo) { l.add(fmt.Sprint("close ", int(c.Code))) },
		Message:    func(p *anyws.Peer, m anyws.Message) { l.add("message " + m.Text()) },
	}
}

// TestResumeDeliversWhatWasMissed: a client whose connection dropped
// gets the same peer back, with its subscriptions, and every message
// after the last one it saw, once, in order: what the dropped
// connection was written and what was queued while it was away.
func TestResumeDeliversWhatWasMissed(t *testing.T) {
	t.Parallel()
	var log hookLog
	hub := anyws.New(logHooks(&log), &anyws.Options{ResumeWindow: time.Minute})
	defer hub.Close()
	c := attach(t, hub, "/", resumable(""))
	p := c.peer()
	p.Subscribe("news")
	for i := 1; i <= 5; i++ {
		require.NoError(t, hub.Publish("news", fmt.Sprint(i)))
	}
	require.Equal(t, []string{"1", "2", "3", "4", "5"}, c.written())
	secret := c.s.Secret()
	c.cut() // the client saw 1..3 only
	require.Equal(t, []*anyws.Peer{p}, hub.Peers(), "a dropped peer waits to be resumed")
	for i := 6; i <= 8; i++ {
		require.NoError(t, hub.Publish("news", fmt.Sprint(i)))
	}

	c2 := attach(t, hub, "/", resumable(secret+":3"))
	defer c2.finish()
	require.Same(t, p, c2.peer())
	require.Equal(t, anyws.ResumeStatus{Attempted: true, Resumed: true}, c2.s.Resume())
	require.Equal(t, []string{"4", "5", "6", "7", "8"}, c2.written())
	require.NoError(t, hub.Publish("news", "9"))
	require.Equal(t, []string{"9"}, c2.written(), "its subscriptions came back")
	require.Equal(t, []string{"open", "disconnect", "resume"}, log.list())
}

// TestResumeRefused: a wrong secret, an expired window and a gap wider
// than what is kept each give a new peer and say why; the old peer's
// Close hook runs once.
func TestResumeRefused(t *testing.T) {
	t.Parallel()
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		hub := anyws.New(anyws.Hooks{}, &anyws.Options{ResumeWindow: time.Minute})
		defer hub.Close()
		c := attach(t, hub, "/", resumable("00112233445566778899aabbccddeeff:0"))
		defer c.finish()
		require.Equal(t, anyws.ResumeStatus{Attempted: true, Reason: "unknown"}, c.s.Resume())
		c2 := attach(t, hub, "/", resumable("garbage"))
		defer c2.finish()
		require.Equal(t, anyws.ResumeStatus{Attempted: true, Reason: "refused"}, c2.s.Resume())
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		var log hookLog
		hub := anyws.New(logHooks(&log), &anyws.Options{ResumeWindow: 20 * time.Millisecond})
		defer hub.Close()
		c := attach(t, hub, "/", resumable(""))
		secret := c.s.Secret()
		c.cut()
		require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, 10*time.Second, time.Millisecond,
			"the peer ends when its window ends")
		require.Equal(t, []string{"open", "disconnect", "close 1006"}, log.list())
		c2 := attach(t, hub, "/", resumable(secret+":0"))
		defer c2.finish()
		require.Equal(t, "unknown", c2.s.Resume().Reason)
		require.NotSame(t, c.peer(), c2.peer())
	})
	t.Run("gap", func(t *testing.T) {
		t.Parallel()
		var log hookLog
		hub := anyws.New(logHooks(&log), &anyws.Options{ResumeWindow: time.Minute, ReplayBytes: 200})
		defer hub.Close()
		c := attach(t, hub, "/", resumable(""))
		for i := range 10 {
			require.NoError(t, c.peer().Send(fmt.Sprint(i)))
		}
		c.written()
		secret := c.s.Secret()
		c.cut()
		c2 := attach(t, hub, "/", resumable(secret+":1"))
		defer c2.finish()
		require.Equal(t, "gap", c2.s.Resume().Reason)
		require.NotSame(t, c.peer(), c2.peer())
		require.Equal(t, []string{"open", "disconnect", fmt.Sprint("close ", int(anyws.StatusResumeFailed)), "open"}, log.list())
	})
}

// TestResumeTakesOverLiveConnection: a client back before the server saw
// its old connection go gets its peer; the old connection is ended.
func TestResumeTakesOverLiveConnection(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{ResumeWindow: time.Minute})
	defer hub.Close()
	c := attach(t, hub, "/", resumable(""))
	require.NoError(t, c.peer().Send("a"))
	c.written()
	c2 := attach(t, hub, "/", resumable(c.s.Secret()+":1"))
	defer c2.finish()
	c.waitEnded()
	require.True(t, c2.s.Resume().Resumed)
	require.Same(t, c.peer(), c2.peer())
	require.NoError(t, c2.peer().Send("b"))
	require.Equal(t, []string{"b"}, c2.written())
}

// TestUplinkResendDeliveredOnce: a message the client numbered and sent
// again (it was not sure the first one arrived) reaches the Message hook
// once.
func TestUplinkResendDeliveredOnce(t *testing.T) {
	t.Parallel()
	var log hookLog
	hub := anyws.New(logHooks(&log), nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	for _, seq := range []uint64{1, 2, 2, 1, 3} {
		require.NoError(t, c.s.Deliver(anyws.Text(fmt.Sprint(seq)), seq))
	}
	c.finish()
	require.Equal(t, []string{"open", "message 1", "message 2", "message 3", "close 1000"}, log.list())
}

// TestResumeMaxPeers: past Options.ResumeMaxPeers peers waiting to be
// resumed, a dropped peer closes at once; a resume frees its place.
func TestResumeMaxPeers(t *testing.T) {
	t.Parallel()
	var log hookLog
	hub := anyws.New(logHooks(&log), &anyws.Options{ResumeWindow: time.Hour, ResumeMaxPeers: 2})
	defer hub.Close()
	var cs []*memConn
	for range 3 {
		cs = append(cs, attach(t, hub, "/", resumable("")))
	}
	secret := cs[0].s.Secret()
	cs[0].cut()
	cs[1].cut()
	require.Len(t, hub.Peers(), 3, "two dropped peers wait")
	cs[2].cut()
	require.Len(t, hub.Peers(), 2, "the third dropped peer closed at once")
	require.Equal(t, []string{"open", "open", "open", "disconnect", "disconnect", "close 1006"}, log.list())

	c := attach(t, hub, "/", resumable(secret+":0"))
	require.True(t, c.s.Resume().Resumed)
	d := attach(t, hub, "/", resumable(""))
	d.cut()
	require.Len(t, hub.Peers(), 3, "the resume freed a place")
	c.finish()
}
