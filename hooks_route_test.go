package anyws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// journal records hook calls in order.
type journal struct {
	mu     sync.Mutex
	calls  []string
	closed chan struct{} // closed by the last Close hook to run
}

func (j *journal) note(s string) {
	j.mu.Lock()
	j.calls = append(j.calls, s)
	j.mu.Unlock()
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.calls...)
}

// hooksNoting returns hooks that note "<who> <hook>" for every hook.
func (j *journal) hooksNoting(who string, last bool) anyws.Hooks {
	return anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { j.note(who + " upgrade"); return nil },
		Open:    func(p *anyws.Peer) { j.note(who + " open") },
		Message: func(p *anyws.Peer, m anyws.Message) { j.note(who + " message " + m.Text()) },
		Close: func(p *anyws.Peer, c anyws.CloseInfo) {
			j.note(who + " close")
			if last {
				close(j.closed)
			}
		},
	}
}

// serveRoute serves hub over WebSocket with route hooks and returns the
// URL to dial.
func serveRoute(t *testing.T, hub *anyws.Hub, route anyws.Hooks) string {
	t.Helper()
	srv := httptest.NewServer(wsadapter.New(hub, &wsadapter.Options{Hooks: route}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func waitClosed(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal("the Close hooks did not run")
	}
}

// A route's hooks run after the Hub's, as crossws runs its global hooks
// and then the route's: the Hub's authentication or logging is never
// skipped on a route with hooks of its own.
func TestRouteHooksRunAfterHubs(t *testing.T) {
	t.Parallel()
	j := &journal{closed: make(chan struct{})}
	hub := anyws.New(j.hooksNoting("hub", false), nil)
	url := serveRoute(t, hub, j.hooksNoting("route", true))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	waitClosed(t, j.closed)
	require.Equal(t, []string{
		"hub upgrade", "route upgrade",
		"hub open", "route open",
		"hub message hi", "route message hi",
		"hub close", "route close",
	}, j.get())
}

// The Hub's Upgrade hook refusing a request refuses it on every route:
// the route's Upgrade hook does not run.
func TestHubUpgradeRefusesForRoutes(t *testing.T) {
	t.Parallel()
	var routeCalled atomic.Bool
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { return anyws.Reject(http.StatusUnauthorized, "log in first") },
	}, nil)
	url := serveRoute(t, hub, anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { routeCalled.Store(true); return nil },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, url, nil)
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.False(t, routeCalled.Load(), "the route's Upgrade hook ran after the Hub's refused")
}

// Peer.String is the id, as crossws's peer.toString() is.
func TestPeerStringIsID(t *testing.T) {
	t.Parallel()
	got := make(chan [2]string, 1)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { got <- [2]string{p.String(), p.ID()} },
	}, nil)
	url := serveRoute(t, hub, anyws.Hooks{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url+"/room", nil)
	require.NoError(t, err)
	defer c.CloseNow()
	select {
	case s := <-got:
		require.Equal(t, s[1], s[0])
	case <-ctx.Done():
		t.Fatal("the Open hook did not run")
	}
}
