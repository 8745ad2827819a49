package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// These tests run anyws.js in Chromium against crossws's own SSE adapter
// (bidirectional mode) on Node, testdata/node/crossws-sse-server.mjs,
// rather than against anyws's reproduction of it: issue 5 asks that the
// client speak crossws's wire format with one POST per message.

// crosswsPage is the page the tests load: it imports the scenario helpers
// (testdata/scenarios.js), which import anyws.js.
const crosswsPage = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>anyws.js against crossws</title>
<script type="module" src="/scenarios.js"></script>
<body>anyws.js against crossws</body>
</html>
`

// crosswsFront serves the test page, the scenario helpers and anyws.js,
// and reverse-proxies every other request (but the favicon's) to the
// Node server: crossws sends no CORS headers, so the page must share the endpoint's origin.
func crosswsFront(t *testing.T, node *nodetest.Crossws) *httptest.Server {
	t.Helper()
	target, err := url.Parse(node.URL)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections) // runs after the server's Close
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	proxy.FlushInterval = -1 // event streams flush every write
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(crosswsPage))
	})
	m.Handle("GET /anyws.js", auto.Client())
	m.HandleFunc("GET /scenarios.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("testdata", "scenarios.js"))
	})
	// crossws's SSE adapter opens a peer for any request, so the
	// browser's favicon request must not reach it.
	m.Handle("GET /favicon.ico", http.NotFoundHandler())
	m.Handle("/", proxy)
	return serve(t, m, false)
}

// crosswsState is what window.state returns.
type crosswsState struct {
	Transport, Uplink string
	ReadyState        int
	Messages, Events  []string
	Errors            []struct{ Message, Unsent string }
}

// TestClientCrosswsNode: anyws.js with transport "sse" and uplink "post"
// against crossws's SSE adapter. Each client opens and gets crossws's
// welcome with its peer id; 20 messages come back as 20 echoes in order
// and reach crossws as 20 messages; the other client receives them
// through crossws's chat publish; close() fires a close event and ends
// the peer on crossws.
func TestClientCrosswsNode(t *testing.T) {
	t.Parallel()
	node := nodetest.StartCrossws(t)
	srv := crosswsFront(t, node)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")

	opts := `{transport: "sse", uplink: "post", reconnect: false}`
	ids := map[string]string{}
	for i, name := range []string{"a", "b"} {
		var opened struct{ Transport, Uplink string }
		browsertest.Eval(t, ctx, "start("+js(name)+", '/_ws', "+opts+")", &opened)
		require.Equal(t, "sse", opened.Transport)
		require.Equal(t, "post", opened.Uplink)
		// The clients open one after the other: the i-th peer crossws
		// opened is this one.
		open := node.WaitFor(t, fmt.Sprintf("open #%d", i+1), func(lines []nodetest.Event) (nodetest.Event, bool) {
			var opens []nodetest.Event
			for _, l := range lines {
				if l.Event == "open" {
					opens = append(opens, l)
				}
			}
			if len(opens) > i {
				return opens[i], true
			}
			return nodetest.Event{}, false
		})
		require.NotEmpty(t, open.ID)
		ids[name] = open.ID
		var st crosswsState
		browsertest.Eval(t, ctx, "waitMessage("+js(name)+", "+js("welcome "+open.ID)+")", &st)
		require.Equal(t, []string{"welcome " + open.ID}, st.Messages, "the first message is crossws's welcome")
	}
	require.NotEqual(t, ids["a"], ids["b"])

	const n = 20
	var sent, echoes []string
	for i := range n {
		msg := fmt.Sprintf("message %d ✓", i)
		sent = append(sent, msg)
		echoes = append(echoes, "echo:"+msg)
	}
	sends := make([]string, 0, n)
	for _, msg := range sent {
		sends = append(sends, "send('a', "+js(msg)+")")
	}
	last := js("echo:" + sent[n-1])
	browsertest.Eval(t, ctx, strings.Join(sends, ", ")+", waitMessage('a', "+last+")", nil)
	browsertest.Eval(t, ctx, "waitMessage('b', "+js(sent[n-1])+")", nil)

	var a, b crosswsState
	browsertest.Eval(t, ctx, "state('a')", &a)
	browsertest.Eval(t, ctx, "state('b')", &b)
	require.Equal(t, 1, a.ReadyState)
	require.Equal(t, append([]string{"welcome " + ids["a"]}, echoes...), a.Messages, "a: the welcome, then every echo, in order")
	require.Equal(t, append([]string{"welcome " + ids["b"]}, sent...), b.Messages, "b: the welcome, then a's chat publishes, in order")
	require.Empty(t, a.Errors)
	require.Empty(t, b.Errors)
	require.Equal(t, sent, node.WaitMessages(t, ids["a"], n), "crossws got each POST as one message")

	for _, name := range []string{"a", "b"} {
		var code int
		browsertest.Eval(t, ctx, "stop("+js(name)+")", &code)
		require.Equal(t, 1000, code)
		var st crosswsState
		browsertest.Eval(t, ctx, "state("+js(name)+")", &st)
		require.Equal(t, 3, st.ReadyState)
		require.Equal(t, []string{"open:sse", "close:1000"}, st.Events)
		node.WaitEvent(t, "close", ids[name])
	}
}
