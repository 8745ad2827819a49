package anyws_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// fakeConn drives a peer through the adapter seam without a network, so
// the core's rules are tested on their own. Real transports are tested
// through real clients in the adapters' suites.
type fakeConn struct {
	s *anyws.Session
}

func connect(t *testing.T, hub *anyws.Hub, path string) *fakeConn {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	u, err := hub.Upgrade(r, nil, "fake", nil)
	require.NoError(t, err)
	s, err := hub.Connect(u)
	require.NoError(t, err)
	return &fakeConn{s: s}
}

// written takes and acknowledges everything queued, as an adapter does.
func (c *fakeConn) written() []string {
	var out []string
	batch := c.s.Take()
	for _, f := range batch {
		out = append(out, f.Message().Text())
	}
	c.s.Written(batch)
	return out
}

func (c *fakeConn) finish() { c.s.Finish(anyws.CloseInfo{Code: anyws.StatusNormalClosure}) }

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
	batch := c.s.Take()
	require.Len(t, batch, 4)
	require.False(t, batch[0].Message().IsBinary())
	require.True(t, batch[1].Message().IsBinary())
	require.Equal(t, `{"a":1}`, batch[3].Message().Text())
	c.s.Written(batch)
}

func TestPeerBasics(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Upgrade) error {
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
		Upgrade: func(u *anyws.Upgrade) error {
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
	up := func(q string) (*anyws.Upgrade, error) {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/x?case="+q, nil)
		return hub.Upgrade(r, nil, "websocket", []string{"chat"})
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
	u, err := hub.Upgrade(r, route, "fake", nil)
	require.NoError(t, err)
	s, err := hub.Connect(u)
	require.NoError(t, err)
	require.NoError(t, s.Deliver(anyws.Text("hi")))
	s.Finish(anyws.CloseInfo{})
	require.ErrorIs(t, s.Deliver(anyws.Text("late")), anyws.ErrClosed)
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
	p := c.s.Peer()
	require.NoError(t, p.Send("1"))
	require.NoError(t, p.Send("2"))
	require.ErrorIs(t, p.Send("3"), anyws.ErrQueueFull)
	require.Equal(t, []string{"1", "2"}, c.written())
	require.Len(t, dropErrs, 1)
	require.ErrorContains(t, dropErrs[0], "dropped 1 messages")
	require.NoError(t, p.Send("4"), "the peer stays open under OverflowDrop")
}

func TestOverflowCloseAndBytes(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{QueueBytes: 10})
	defer hub.Close()
	c := connect(t, hub, "/")
	p := c.s.Peer()
	require.NoError(t, p.Send("123456"))
	require.Equal(t, 6, p.Buffered())
	require.ErrorIs(t, p.Send("123456"), anyws.ErrQueueFull)
	select {
	case <-c.s.Closing():
	default:
		t.Fatal("overflow did not ask the adapter to close")
	}
	code, reason, abrupt, discard := c.s.CloseRequest()
	require.Equal(t, anyws.StatusTryAgainLater, code)
	require.Equal(t, "send queue full", reason)
	require.False(t, abrupt)
	require.True(t, discard)
	require.Error(t, c.s.WriteContext().Err(), "a blocked write is aborted")
	require.ErrorIs(t, p.Send("x"), anyws.ErrClosed, "the queue is released at once")
	c.finish()
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
	require.NoError(t, p.Send("abc"))
	done := make(chan error, 1)
	go func() { done <- p.Drain(context.Background()) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, p.Drain(ctx), context.Canceled)
	c.written()
	require.NoError(t, <-done)
	require.Equal(t, 0, p.Buffered())
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
	for _, c := range []*fakeConn{a, b, other} {
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
	fa, fb := a.s.Take(), b.s.Take()
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
	c := connect(t, hub, "/")
	// An adapter finishes its session when asked to close.
	go func() {
		<-c.s.Closing()
		code, reason, _, _ := c.s.CloseRequest()
		c.s.Finish(anyws.CloseInfo{Code: code, Reason: reason})
	}()
	require.NoError(t, hub.Shutdown(context.Background()))
	require.Equal(t, []anyws.CloseInfo{{Code: anyws.StatusGoingAway, Reason: "server shutting down"}}, closes)
	_, err := hub.Upgrade(httptest.NewRequest(http.MethodGet, "/", nil), nil, "fake", nil)
	require.ErrorIs(t, err, anyws.ErrHubClosed)
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	c := connect(t, hub, "/")
	// This adapter ignores graceful closes: only an abort (CloseNow, which
	// Shutdown escalates to when its ctx ends) stops it.
	go func() {
		<-c.s.WriteContext().Done()
		c.finish()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, hub.Shutdown(ctx), context.Canceled)
	require.Empty(t, hub.Peers())
}
