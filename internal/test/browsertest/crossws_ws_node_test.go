package browsertest_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// TestClientCrosswsWebSocketNode: anyws.js over WebSocket against
// crossws's own WebSocket adapter on Node (testdata/node/
// crossws-ws-server.mjs), a server that does not speak anyws's recovery
// protocol. The client marks its first connection and says hello; crossws
// answers with its welcome, which the client takes for what it is (a
// plain server's first message) and delivers; crossws's Message hook gets
// the hello {"marks":[]} (the one cost, documented). After a drop the client
// reconnects as a new peer (lost), without the mark and without a hello.
// With resume: false the client never marks nor says hello.
func TestClientCrosswsWebSocketNode(t *testing.T) {
	t.Parallel()
	node := nodetest.StartCrosswsWebSocket(t)
	front := crosswsFront(t, node)
	proxy := newCutProxy(t, front.Listener.Addr().String())
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, proxy.URL(false)+"/")

	var st struct{ Transport string }
	browsertest.Eval(t, ctx, "startResumable('a', '/_ws', {transport: 'websocket'})", &st)
	require.Equal(t, "websocket", st.Transport)
	a1 := node.WaitFor(t, "the first open", openOf(0))
	require.Equal(t, "?anyws=2", a1.Query, "the first connection is marked")
	browsertest.Eval(t, ctx, "send('a', 'm1'), waitMessage('a', 'echo:m1')", nil)
	require.Equal(t, []string{`{"marks":[]}`, "m1"}, node.WaitMessages(t, a1.ID, 2), "crossws got the hello, then the message")
	var log resumeLog
	browsertest.Eval(t, ctx, "state('a')", &log)
	require.Equal(t, []string{"welcome " + a1.ID, `echo:{"marks":[]}`, "echo:m1"}, log.Messages, "the welcome is delivered as a message")

	proxy.cut(false)
	a2 := node.WaitFor(t, "the second open", openOf(1))
	require.NotEqual(t, a1.ID, a2.ID)
	require.Empty(t, a2.Query, "a plain server's client does not mark its reconnection")
	browsertest.Eval(t, ctx, "waitOpens('a', 2).then(() => send('a', 'm2')).then(() => waitMessage('a', 'echo:m2'))", &log)
	require.Equal(t, []string{"m2"}, node.WaitMessages(t, a2.ID, 1), "no hello on the reconnection")
	require.Equal(t, []string{"welcome " + a1.ID, `echo:{"marks":[]}`, "echo:m1", "welcome " + a2.ID, "echo:m2"}, log.Messages)
	require.Len(t, log.Opens, 2)
	require.False(t, log.Opens[1].Resumed)
	require.True(t, log.Opens[1].Lost, "a reconnection after a drop to a plain server is a new peer")

	browsertest.Eval(t, ctx, "startResumable('b', '/_ws', {transport: 'websocket', resume: false})", nil)
	b := node.WaitFor(t, "the third open", openOf(2))
	require.Empty(t, b.Query)
	browsertest.Eval(t, ctx, "send('b', 'n1'), waitMessage('b', 'echo:n1')", &log)
	require.Equal(t, []string{"welcome " + b.ID, "echo:n1"}, log.Messages)
	require.Equal(t, []string{"n1"}, node.WaitMessages(t, b.ID, 1))

	for _, name := range []string{"a", "b"} {
		var code int
		browsertest.Eval(t, ctx, "stop("+js(name)+")", &code)
		require.Equal(t, 1000, code)
	}
	node.WaitEvent(t, "close", a2.ID)
	node.WaitEvent(t, "close", b.ID)
}

// openOf returns a matcher of the i-th open crossws logged (from 0).
func openOf(i int) func([]nodetest.Event) (nodetest.Event, bool) {
	return func(lines []nodetest.Event) (nodetest.Event, bool) {
		n := 0
		for _, l := range lines {
			if l.Event != "open" {
				continue
			}
			if n == i {
				return l, true
			}
			n++
		}
		return nodetest.Event{}, false
	}
}
