package browsertest_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/stretchr/testify/require"
)

// TestClientResumesOverWebSocketThroughCuts: anyws.js over WebSocket
// behind a proxy that cuts its connection every 50-500 ms, while the
// server publishes numbered messages and the client sends numbered
// messages of its own. The client claims its peer back after each cut
// (anyws's hello exchange): it receives every publish exactly once, in
// order, and the Message hook gets every message it sent exactly once,
// in order, all on the one peer the first connection opened.
func TestClientResumesOverWebSocketThroughCuts(t *testing.T) {
	t.Parallel()
	const n, sends = 600, 300
	hub := newResumeHub(t, time.Minute)
	// Every cut is a Disconnect, and the hook's channel holds 16: drained
	// here, or the 17th cut's Disconnect blocks, and with it that
	// connection's end, which the peer's resume waits for.
	stopDrain := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-hub.dropped:
			case <-stopDrain:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stopDrain); <-drained })
	srv := serve(t, mux(auto.New(hub.Hub, nil)), false)
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() })

	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, "http://"+proxy.Addr()+"/")
	published := make(chan error, 1)
	go func() {
		select {
		case p := <-hub.opened:
			hub.opened <- p // for the test's own check below
		case <-time.After(wait):
			published <- fmt.Errorf("the client's connection did not open")
			return
		}
		proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
		for i := 1; i <= n; i++ {
			if err := hub.Publish("news", strconv.Itoa(i)); err != nil {
				published <- err
				return
			}
			time.Sleep(5 * time.Millisecond) // about 3 s: several cuts
		}
		published <- nil
	}()
	var log struct {
		Messages   []string
		Transports []string
		Opens      []struct {
			Resumed, Lost bool
			Reason        string
		}
		Errors []struct{ Message, Unsent string }
	}
	// Bounded below the tab's own deadline, so that a client that stops
	// short can still be asked how far it got.
	evalCtx, cancel := context.WithTimeout(ctx, browsertest.TabTimeout*3/4)
	err = browsertest.EvalErr(evalCtx, fmt.Sprintf("throughCuts('c', '/_ws', {transport: 'websocket'}, %d, %d)", n+1, sends), &log)
	cancel()
	if err != nil {
		var progress any
		perr := browsertest.EvalErr(ctx, "progress('c')", &progress)
		t.Fatalf("the client did not get %d messages and send %d: %v\nits progress: %+v (%v)\nthe proxy's cuts: %d", n+1, sends, err, progress, perr, proxy.Cuts())
	}
	require.NoError(t, <-published)
	p := recvWithin(t, hub.opened, "the Open of the client's peer")
	want := []string{p.ID()}
	for i := 1; i <= n; i++ {
		want = append(want, strconv.Itoa(i))
	}
	require.Equal(t, want, log.Messages, "publishes lost, duplicated or reordered")
	for i := 1; i <= sends; i++ {
		require.Equal(t, "u"+strconv.Itoa(i), recvWithin(t, hub.msgs, "message u"+strconv.Itoa(i)), "the Message hook got a message twice or out of order")
	}
	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	require.Greater(t, len(log.Opens), 1, "the client never reconnected")
	require.False(t, log.Opens[0].Resumed)
	for i, o := range log.Opens[1:] {
		require.True(t, o.Resumed, "open %d did not resume: %+v", i+2, log.Opens)
		require.False(t, o.Lost)
	}
	for _, tr := range log.Transports {
		require.Equal(t, "websocket", tr)
	}
	for _, e := range log.Errors {
		require.Empty(t, e.Unsent, "a message was reported unsent: %+v", log.Errors)
	}
	require.Empty(t, hub.opened, "the client got a new peer instead of resuming its own")
	t.Logf("%d cuts, %d opens", proxy.Cuts(), len(log.Opens))
	// The cuts go on: the close handshake may be cut too, so the test
	// does not wait for the Close hook here.
	browsertest.Eval(t, ctx, "stop('c')", nil)
	require.Empty(t, hub.msgs, "the Message hook got more than was sent")
}

// TestClientResumesOverWebSocket: the cut comes when the server delivered
// u2 of u1, u2, u3 (sent at once), with publishes on their way, and new
// connections are refused for a while. The client claims its peer back:
// the second open says resumed, the peer is the same (no second Open),
// the client gets every publish once, in order, and the server u3 once
// (the client sends again what the server's hello says it did not get).
func TestClientResumesOverWebSocket(t *testing.T) {
	t.Parallel()
	hub := newResumeHub(t, time.Minute)
	srv := serve(t, mux(auto.New(hub.Hub, nil)), false)
	proxy := newCutProxy(t, srv.Listener.Addr().String())
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, proxy.URL(false)+"/")
	var st struct{ Transport string }
	browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'websocket'})", &st)
	require.Equal(t, "websocket", st.Transport)
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
	require.Equal(t, p.ID(), recvWithin(t, hub.dropped, "the Disconnect of the cut connection").ID())
	publish(76, 100)
	proxy.allow()

	var log resumeLog
	browsertest.Eval(t, ctx, "waitOpens('c', 2).then(() => waitMessage('c', 'n100'))", &log)
	require.Equal(t, want, log.Messages)
	require.Len(t, log.Opens, 2)
	require.False(t, log.Opens[0].Resumed)
	require.True(t, log.Opens[1].Resumed, "opens: %+v", log.Opens)
	require.False(t, log.Opens[1].Lost)
	for _, e := range log.Errors {
		require.Empty(t, e.Unsent, "a message was reported unsent: %+v", log.Errors)
	}
	browsertest.Eval(t, ctx, "send('c', 'u4')", nil)
	for _, m := range []string{"u3", "u4"} {
		require.Equal(t, m, recvWithin(t, hub.msgs, "message "+m), "the Message hook got a message twice or out of order")
	}
	require.Empty(t, hub.opened, "the client got a new peer")
	browsertest.Eval(t, ctx, "stop('c')", nil)
	require.Equal(t, p.ID(), recvWithin(t, hub.closed, "the Close of the peer").ID())
	require.Empty(t, hub.msgs, "the Message hook got a message twice")
}

// TestClientNotResumedOverWebSocket: the client comes back after the
// window ended (the proxy refused it meanwhile). Its claim gets a new
// peer and the client says so as over SSE: the open event has resumed
// false, lost true and reason "unknown", and what it sent to the earlier
// peer is reported unsent (a WebSocket has no acknowledgements: the
// client cannot tell whether it arrived). The new peer's messages are
// numbered from 1 again: after a cut it resumes, and the Message hook
// gets each message once.
func TestClientNotResumedOverWebSocket(t *testing.T) {
	t.Parallel()
	// The window is long enough for a reconnection on a loaded machine
	// (the new peer resumes after a cut below) and short for a test.
	hub := newResumeHub(t, 3*time.Second)
	srv := serve(t, mux(auto.New(hub.Hub, nil)), false)
	proxy := newCutProxy(t, srv.Listener.Addr().String())
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, proxy.URL(false)+"/")
	browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'websocket'})", nil)
	p1 := recvWithin(t, hub.opened, "Open")
	browsertest.Eval(t, ctx, "waitMessage('c', "+js(p1.ID())+")", nil)
	browsertest.Eval(t, ctx, "send('c', 'u1')", nil)
	require.Equal(t, "u1", recvWithin(t, hub.msgs, "message u1"))

	proxy.cut(true)
	require.Equal(t, p1.ID(), recvWithin(t, hub.dropped, "the Disconnect of the cut connection").ID())
	require.Equal(t, p1.ID(), recvWithin(t, hub.closed, "the Close of the peer whose window ended").ID())
	proxy.allow()
	p2 := recvWithin(t, hub.opened, "the Open of the new peer")
	require.NotEqual(t, p1.ID(), p2.ID())

	var log resumeLog
	browsertest.Eval(t, ctx, "waitOpens('c', 2).then(() => waitMessage('c', "+js(p2.ID())+")).then(() => waitUnsent('c'))", &log)
	require.Equal(t, []string{p1.ID(), p2.ID()}, log.Messages)
	require.Len(t, log.Opens, 2)
	require.False(t, log.Opens[1].Resumed)
	require.True(t, log.Opens[1].Lost)
	require.Equal(t, "unknown", log.Opens[1].Reason)
	// The refused attempts are errors too; one error names a message.
	var unsent []struct{ Message, Unsent string }
	for _, e := range log.Errors {
		if e.Unsent != "" {
			unsent = append(unsent, e)
		}
	}
	require.Len(t, unsent, 1, "errors: %+v", log.Errors)
	require.Equal(t, "u1", unsent[0].Unsent)
	require.Contains(t, unsent[0].Message, "may or may not have been delivered")

	// The new peer resumes: its numbering starts again from 1, so the
	// server's count and the client's agree.
	browsertest.Eval(t, ctx, "send('c', 'v1'), send('c', 'v2')", nil)
	for _, m := range []string{"v1", "v2"} {
		require.Equal(t, m, recvWithin(t, hub.msgs, "message "+m))
	}
	proxy.cut(false)
	require.Equal(t, p2.ID(), recvWithin(t, hub.dropped, "the Disconnect of the cut connection").ID())
	browsertest.Eval(t, ctx, "waitOpens('c', 3).then(() => send('c', 'v3'))", nil)
	require.Equal(t, "v3", recvWithin(t, hub.msgs, "message v3"), "v1 or v2 came twice")
	require.Empty(t, hub.opened, "the new peer was not resumed")
	browsertest.Eval(t, ctx, "state('c')", &log)
	require.True(t, log.Opens[2].Resumed, "opens: %+v", log.Opens)
	browsertest.Eval(t, ctx, "stop('c')", nil)
	require.Equal(t, p2.ID(), recvWithin(t, hub.closed, "the Close of the new peer").ID())
}
