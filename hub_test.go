package anyws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

func TestSendConversions(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	defer c.finish()
	p := c.s.Peer()
	require.NoError(t, p.Send("text"))
	require.NoError(t, p.Send([]byte("bin")))
	require.NoError(t, p.Send(anyws.Text("msg")))
	require.NoError(t, p.Send(map[string]any{"a": 1}))
	require.Error(t, p.Send(nil))
	require.ErrorContains(t, p.Send(make(chan int)), "anyws: encode chan int as JSON")
	batch := c.writtenPayloads()
	require.Len(t, batch, 4)
	require.False(t, batch[0].Message().IsBinary())
	require.True(t, batch[1].Message().IsBinary())
	require.Equal(t, `{"a":1}`, batch[3].Message().Text())
}

func TestPeerBasics(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			u.Set("user", "ann")
			u.Set("n", 7)
			return nil
		},
	}, nil)
	defer hub.Close()
	c := connect(t, hub, "/room/1")
	p := c.s.Peer()
	require.Len(t, p.ID(), 36)
	require.Equal(t, "/room/1", p.Namespace())
	require.Equal(t, "fake", p.Transport())
	require.Equal(t, "192.0.2.1", p.RemoteAddr())
	user, ok := anyws.Value[string](p, "user")
	require.True(t, ok)
	require.Equal(t, "ann", user)
	_, ok = anyws.Value[string](p, "n")
	require.False(t, ok, "wrong type")
	p.Set("x", 1)
	require.Equal(t, map[string]any{"user": "ann", "n": 7, "x": 1}, p.Values())
	require.Same(t, p, hub.Peer(p.ID()))

	p.Subscribe("b")
	p.Subscribe("a")
	p.Subscribe("a")
	require.Equal(t, []string{"a", "b"}, p.Topics())
	p.Unsubscribe("b")
	require.Equal(t, []string{"a"}, p.Topics())

	c.finish()
	require.Nil(t, hub.Peer(p.ID()))
	require.ErrorIs(t, p.Send("x"), anyws.ErrClosed)
	p.Subscribe("late")
	require.Empty(t, p.Topics(), "a closed peer subscribes to nothing")
	require.ErrorIs(t, p.Context().Err(), context.Canceled)
}

func TestUpgradeHook(t *testing.T) {
	t.Parallel()
	var errs []error
	var mu sync.Mutex
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			switch u.Request.URL.Query().Get("case") {
			case "reject":
				return &anyws.Rejection{Status: 401, Header: http.Header{"X-Error": {"no"}}, Body: "unauthorized"}
			case "fail":
				return errors.New("database down")
			case "panic":
				panic("oops")
			case "proto":
				u.Protocol = "not-offered"
			case "ns":
				u.Namespace = "custom"
			}
			return nil
		},
		Error: func(_ *anyws.Peer, err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		},
	}, nil)
	defer hub.Close()
	up := func(q string) (*anyws.Handshake, error) {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/x?case="+q, nil)
		return hub.Accept(r, nil, "websocket", []string{"chat"})
	}

	_, err := up("reject")
	var rej *anyws.Rejection
	require.ErrorAs(t, err, &rej)
	w := httptest.NewRecorder()
	rej.ServeHTTP(w, nil)
	require.Equal(t, 401, w.Code)
	require.Equal(t, "unauthorized", w.Body.String())
	require.Equal(t, "no", w.Header().Get("X-Error"))
	require.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))

	_, err = up("fail")
	require.ErrorContains(t, err, "database down")
	_, err = up("panic")
	require.ErrorContains(t, err, "Upgrade hook panicked: oops")
	_, err = up("proto")
	require.ErrorContains(t, err, `sub-protocol "not-offered", which the client did not offer`)
	u, err := up("ns")
	require.NoError(t, err)
	require.Equal(t, "custom", u.Namespace)
	u, err = up("")
	require.NoError(t, err)
	require.Equal(t, "/x", u.Namespace)
	require.Equal(t, []string{"chat"}, u.Protocols)
	mu.Lock()
	require.Len(t, errs, 3, "broken hooks are reported, rejections are not")
	mu.Unlock()
}

func TestRouteHooksFallBack(t *testing.T) {
	t.Parallel()
	var got []string
	var mu sync.Mutex
	note := func(s string) {
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	}
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { note("hub open " + p.Namespace()) },
		Message: func(p *anyws.Peer, m anyws.Message) { note("hub message") },
	}, nil)
	defer hub.Close()
	route := &anyws.Hooks{ReplaceHub: true, Message: func(p *anyws.Peer, m anyws.Message) { note("route message " + m.Text()) }}
	r := httptest.NewRequest(http.MethodGet, "http://example.com/r", nil)
	u, err := hub.Accept(r, route, "fake", nil)
	require.NoError(t, err)
	c := &memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}
	s, err := hub.Attach(u, c, nil)
	require.NoError(t, err)
	c.s = s
	go c.read()
	require.NoError(t, s.Deliver(anyws.Text("hi"), 0))
	c.leave()
	require.ErrorIs(t, s.Deliver(anyws.Text("late"), 0), anyws.ErrClosed)
	require.Equal(t, []string{"hub open /r", "route message hi"}, got)
}

func TestOverflowDrop(t *testing.T) {
	t.Parallel()
	var dropErrs []error
	hub := anyws.New(anyws.Hooks{
		Error: func(_ *anyws.Peer, err error) { dropErrs = append(dropErrs, err) },
	}, &anyws.Options{QueueMessages: 2, Overflow: anyws.OverflowDrop})
	defer hub.Close()
	c := connect(t, hub, "/")
	defer c.finish()
	release := c.stall()
	p := c.s.Peer()
	require.NoError(t, p.Send("1"))
	require.NoError(t, p.Send("2"))
	require.ErrorIs(t, p.Send("3"), anyws.ErrQueueFull)
	release()
	require.Equal(t, []string{"1", "2"}, c.written())
	require.NoError(t, p.Send("report"), "a later write reports the drops")
	require.Equal(t, []string{"report"}, c.written())
	require.Len(t, dropErrs, 1)
	require.ErrorContains(t, dropErrs[0], "dropped 1 messages")
	require.NoError(t, p.Send("4"), "the peer stays open under OverflowDrop")
}

func TestOverflowCloseAndBytes(t *testing.T) {
	t.Parallel()
	var closed anyws.CloseInfo
	hub := anyws.New(anyws.Hooks{
		Close: func(p *anyws.Peer, c anyws.CloseInfo) { closed = c },
	}, &anyws.Options{QueueBytes: 150})
	defer hub.Close()
	c := connect(t, hub, "/")
	gate := make(chan struct{})
	c.mu.Lock()
	c.gate = gate // the client stopped reading
	c.mu.Unlock()
	p := c.s.Peer()
	require.NoError(t, p.Send("123456"))
	require.Equal(t, 6, p.Buffered())
	require.NoError(t, p.Send("123456"), "6 bytes + 64 per message: two fit in 150")
	require.ErrorIs(t, p.Send("123456"), anyws.ErrQueueFull)
	require.Error(t, p.Context().Err(), "the peer is closing")
	require.ErrorIs(t, p.Send("x"), anyws.ErrClosed, "nothing is queued once closing")
	close(gate)
	c.waitEnded()
	require.Equal(t, anyws.StatusTryAgainLater, closed.Code)
}

func TestBigMessageIntoEmptyQueue(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{QueueBytes: 4})
	defer hub.Close()
	c := connect(t, hub, "/")
	defer c.finish()
	require.NoError(t, c.s.Peer().Send("much longer than four bytes"))
}

func TestDrain(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	p := c.s.Peer()
	require.NoError(t, p.Drain(context.Background()), "empty queue drains at once")
	gate := func() chan struct{} {
		g := make(chan struct{})
		c.mu.Lock()
		c.gate = g
		c.mu.Unlock()
		return g
	}
	g := gate()
	require.NoError(t, p.Send("abc"))
	done := make(chan error, 1)
	go func() { done <- p.Drain(context.Background()) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, p.Drain(ctx), context.Canceled)
	close(g)
	require.NoError(t, <-done)
	require.Equal(t, 0, p.Buffered())
	gate()
	require.NoError(t, p.Send("abc"))
	go func() { done <- p.Drain(context.Background()) }()
	c.finish()
	require.ErrorIs(t, <-done, anyws.ErrClosed)
}

func TestPublishRouting(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	a, b := connect(t, hub, "/one"), connect(t, hub, "/one")
	other := connect(t, hub, "/two")
	defer a.finish()
	defer b.finish()
	defer other.finish()
	for _, c := range []*memConn{a, b, other} {
		c.s.Peer().Subscribe("t")
	}
	require.NoError(t, a.s.Peer().Publish("t", "from a"))
	require.Empty(t, a.written(), "a publisher does not receive its own publish")
	require.Equal(t, []string{"from a"}, b.written())
	require.Empty(t, other.written(), "peer publishes stay in their namespace")

	require.NoError(t, hub.Publish("t", "all"))
	require.NoError(t, hub.Publish("t", "two only", anyws.InNamespace("/two")))
	require.Equal(t, []string{"all"}, a.written())
	require.Equal(t, []string{"all"}, b.written())
	require.Equal(t, []string{"all", "two only"}, other.written())

	// One publish is one frame shared by every subscriber.
	require.NoError(t, hub.Publish("t", "shared"))
	fa, fb := a.writtenPayloads(), b.writtenPayloads()
	require.Same(t, fa[0], fb[0])
}

func TestShutdownWaitsForSessions(t *testing.T) {
	t.Parallel()
	var closes []anyws.CloseInfo
	var mu sync.Mutex
	hub := anyws.New(anyws.Hooks{Close: func(_ *anyws.Peer, c anyws.CloseInfo) {
		mu.Lock()
		closes = append(closes, c)
		mu.Unlock()
	}}, nil)
	connect(t, hub, "/")
	require.NoError(t, hub.Shutdown(context.Background()))
	require.Equal(t, []anyws.CloseInfo{{Code: anyws.StatusGoingAway, Reason: "server shutting down"}}, closes)
	_, err := hub.Accept(httptest.NewRequest(http.MethodGet, "/", nil), nil, "fake", nil)
	require.ErrorIs(t, err, anyws.ErrHubClosed)
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	c := connect(t, hub, "/")
	// A client that does not read: the graceful close cannot be written;
	// only an abort (CloseNow, which Shutdown escalates to when its ctx
	// ends) stops it.
	c.mu.Lock()
	c.gate = make(chan struct{})
	c.mu.Unlock()
	require.NoError(t, c.peer().Send("stuck"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, hub.Shutdown(ctx), context.Canceled)
	c.waitEnded()
	require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, 10*time.Second, time.Millisecond)
}

// TestShutdownReturnsAtDeadline: Shutdown returns when its context ends,
// even when a hook ignores Peer.Context and an adapter has not finished
// its peer.
func TestShutdownReturnsAtDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{})
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) {
			close(entered)
			<-release
		},
	}, nil)
	c := connect(t, hub, "/")
	delivered := make(chan error, 1)
	go func() { delivered <- c.s.Deliver(anyws.Text("block"), 0) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- hub.Shutdown(ctx) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown did not return at its deadline")
	}
	require.Error(t, c.s.Peer().Context().Err(), "the peer's context is cancelled once it is closing")
	close(release)
	require.NoError(t, <-delivered)
	c.finish()
}

// TestOutgoingTextIsValidUTF8: text that leaves the server is valid
// UTF-8 however it was made, so a browser never closes a WebSocket over
// it; the Text of a binary message is safe to republish.
func TestOutgoingTextIsValidUTF8(t *testing.T) {
	t.Parallel()
	bad := string([]byte{'h', 'i', 0xFF})
	require.Equal(t, "hi\uFFFD", anyws.Binary([]byte(bad)).Text())
	require.Equal(t, bad, string(anyws.Binary([]byte(bad)).Bytes()), "Bytes keeps the raw payload")
	require.Equal(t, "hi\uFFFD", anyws.Text(bad).Text())
	require.Equal(t, "hi\uFFFD", anyws.NewMessage([]byte(bad), false).Text())

	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	c := connect(t, hub, "/")
	defer c.finish()
	p := c.s.Peer()
	require.NoError(t, p.Send(bad))
	require.NoError(t, p.Send(json.RawMessage(`"`+bad+`"`)))
	require.NoError(t, p.Send(anyws.Binary([]byte(bad)).Text()))
	for _, m := range c.written() {
		require.True(t, utf8.ValidString(m), "%q", m)
	}
}
