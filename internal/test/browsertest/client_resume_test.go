package browsertest_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// resumeHub sends each new peer its id and subscribes it to "news"; it
// reports Opens, Messages and Closes on channels.
type resumeHub struct {
	*anyws.Hub
	opened  chan *anyws.Peer
	msgs    chan string
	closed  chan *anyws.Peer
	dropped chan *anyws.Peer
	// onMessage, when set before the client sends, runs in the Message
	// hook before the message is reported.
	onMessage atomic.Pointer[func(string)]
}

func newResumeHub(t *testing.T, window time.Duration) *resumeHub {
	h := &resumeHub{opened: make(chan *anyws.Peer, 16), msgs: make(chan string, 1024), closed: make(chan *anyws.Peer, 16), dropped: make(chan *anyws.Peer, 16)}
	h.Hub = anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("news")
			_ = p.Send(p.ID())
			h.opened <- p
		},
		Message: func(_ *anyws.Peer, m anyws.Message) {
			if f := h.onMessage.Load(); f != nil {
				(*f)(m.Text())
			}
			h.msgs <- m.Text()
		},
		Close:      func(p *anyws.Peer, _ anyws.CloseInfo) { h.closed <- p },
		Disconnect: func(p *anyws.Peer, _ anyws.CloseInfo) { h.dropped <- p },
	}, &anyws.Options{ResumeWindow: window})
	t.Cleanup(func() { shutdown(t, h.Hub) })
	return h
}

func recvWithin[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}

type resumeLog struct {
	Messages []string
	Opens    []struct {
		Resumed, Recovered, Lost bool
		Reason                   string
	}
	Errors []struct{ Message, Unsent string }
}

// TestClientResumesOverSSE: anyws.js over forced SSE through a proxy that
// the test cuts mid-stream, publishes and sends going on meanwhile. The
// client claims its peer back with the last id it got: the second open
// says resumed (nothing lost), the peer is the same (no second Open), and
// the client gets every publish once, in order, and the server every
// message the client sent once, in order.
func TestClientResumesOverSSE(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, uplink string
		h2           bool
	}{
		{"post/http1", "post", false},
		{"post/h2", "post", true},
		{"stream/h2", "stream", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := newResumeHub(t, time.Minute)
			srv := serve(t, mux(auto.New(hub.Hub, nil)), tc.h2)
			proxy := newCutProxy(t, srv.Listener.Addr().String())
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, proxy.URL(tc.h2)+"/")
			var st struct{ Uplink string }
			browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'sse', uplink: "+js(tc.uplink)+"})", &st)
			require.Equal(t, tc.uplink, st.Uplink)
			p := recvWithin(t, hub.opened, "Open")
			browsertest.Eval(t, ctx, "waitMessage('c', "+js(p.ID())+")", nil)

			want := []string{p.ID()}
			publish := func(from, to int) {
				for i := from; i <= to; i++ {
					require.NoError(t, hub.Publish("news", fmt.Sprintf("n%d", i)))
				}
			}
			for i := 1; i <= 100; i++ {
				want = append(want, fmt.Sprintf("n%d", i))
			}
			// The cut comes when u2 was delivered, before its POST is
			// answered, with publishes on their way, and new connections
			// are refused for a while (else the browser itself sends the
			// POST again at once): the client must send u2 again (it
			// cannot know it arrived) and the server drop the copy.
			cut := func(m string) {
				if m == "u2" {
					publish(51, 75)
					proxy.cut(true)
				}
			}
			hub.onMessage.Store(&cut)
			publish(1, 50)
			browsertest.Eval(t, ctx, "send('c', 'u1'), send('c', 'u2'), send('c', 'u3')", nil)
			require.Equal(t, "u1", recvWithin(t, hub.msgs, "message u1"))
			require.Equal(t, "u2", recvWithin(t, hub.msgs, "message u2"))
			require.Same(t, p, recvWithin(t, hub.dropped, "the Disconnect of the cut stream"))
			publish(76, 100)
			proxy.allow()

			var log resumeLog
			browsertest.Eval(t, ctx, "waitOpens('c', 2).then(() => waitMessage('c', 'n100'))", &log)
			require.Equal(t, want, log.Messages)
			require.Len(t, log.Opens, 2)
			require.False(t, log.Opens[0].Resumed)
			require.False(t, log.Opens[0].Lost)
			require.True(t, log.Opens[1].Resumed, "opens: %+v", log.Opens)
			require.False(t, log.Opens[1].Lost)
			// A cut streaming uplink may surface as an error event (the
			// fetch failed) while its messages are resent; none may be
			// reported unsent.
			for _, e := range log.Errors {
				require.Empty(t, e.Unsent, "a message was reported unsent: %+v", log.Errors)
			}

			browsertest.Eval(t, ctx, "send('c', 'u4')", nil)
			for _, m := range []string{"u3", "u4"} {
				require.Equal(t, m, recvWithin(t, hub.msgs, "message "+m), "the Message hook got a message twice or out of order")
			}
			require.Empty(t, hub.opened, "the client got a new peer")
			browsertest.Eval(t, ctx, "stop('c')", nil)
		})
	}
}

// TestClientNotResumedOverSSE: the client comes back after the window
// ended (the proxy refused it meanwhile): its claim gets a new peer, and
// the open event says so (resumed false, lost true, reason "unknown").
func TestClientNotResumedOverSSE(t *testing.T) {
	t.Parallel()
	hub := newResumeHub(t, 300*time.Millisecond)
	srv := serve(t, mux(auto.New(hub.Hub, nil)), false)
	proxy := newCutProxy(t, srv.Listener.Addr().String())
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, proxy.URL(false)+"/")
	browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'sse', uplink: 'post'})", nil)
	p1 := recvWithin(t, hub.opened, "Open")
	browsertest.Eval(t, ctx, "waitMessage('c', "+js(p1.ID())+")", nil)

	proxy.cut(true)
	require.Same(t, p1, recvWithin(t, hub.closed, "the Close of the peer whose window ended"))
	proxy.allow()
	p2 := recvWithin(t, hub.opened, "the Open of the new peer")
	require.NotEqual(t, p1.ID(), p2.ID())

	var log resumeLog
	browsertest.Eval(t, ctx, "waitOpens('c', 2).then(() => waitMessage('c', "+js(p2.ID())+"))", &log)
	require.Equal(t, []string{p1.ID(), p2.ID()}, log.Messages)
	require.Len(t, log.Opens, 2)
	require.False(t, log.Opens[1].Resumed)
	require.True(t, log.Opens[1].Lost)
	require.Equal(t, "unknown", log.Opens[1].Reason)
	browsertest.Eval(t, ctx, "stop('c')", nil)
}
