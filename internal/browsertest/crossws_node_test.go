package browsertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/browsertest"
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

// crosswsLine is one line crossws-sse-server.mjs prints: its URL first,
// then one per peer opened or closed and per message received.
type crosswsLine struct {
	URL   string `json:"url"`
	Event string `json:"event"`
	ID    string `json:"id"`
	Text  string `json:"text"`
}

// nodeCrossws is one crossws SSE server on Node and what it printed.
type nodeCrossws struct {
	url string

	mu     sync.Mutex
	buf    []byte
	lines  []crosswsLine
	bad    error         // a line that was not JSON
	stderr bytes.Buffer  // what Node wrote there
	notify chan struct{} // capacity 1: signalled on every write
}

// startNodeCrossws starts crossws-sse-server.mjs on a free loopback port
// and returns once it listens; cleanup stops it (SIGTERM, then kill) and
// waits for it. A missing Node install fails the test rather than
// skipping it, so the interop check never goes quietly missing.
func startNodeCrossws(t *testing.T) *nodeCrossws {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "node"))
	require.NoError(t, err)
	for _, pkg := range []string{"crossws", "srvx"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			require.FailNow(t, "the Node test harness is not installed ("+dir+"/node_modules/"+pkg+" is missing): run `make deps` in the repository root")
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		require.FailNow(t, "node is not on PATH: the crossws interop tests need Node.js 20.16 or later (then run `make deps`)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), browsertest.TabTimeout)
	s := &nodeCrossws{notify: make(chan struct{}, 1)}
	cmd := exec.CommandContext(ctx, "node", "crossws-sse-server.mjs", "0")
	cmd.Dir = dir
	cmd.Stdout = nodeStdout{s}
	cmd.Stderr = nodeStderr{s}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second // then killed
	stdin, err := cmd.StdinPipe()   // the server exits when it closes
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = stdin.Close()
		cancel()
		<-exited
	})
	first := s.waitFor(t, "its URL", func(lines []crosswsLine) (crosswsLine, bool) {
		if len(lines) > 0 {
			return lines[0], true
		}
		return crosswsLine{}, false
	})
	require.True(t, strings.HasPrefix(first.URL, "http://127.0.0.1:"), "first line: %+v", first)
	s.url = first.URL
	return s
}

type nodeStdout struct{ s *nodeCrossws }

func (w nodeStdout) Write(p []byte) (int, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		var l crosswsLine
		if err := json.Unmarshal(s.buf[:i], &l); err != nil && s.bad == nil {
			s.bad = fmt.Errorf("not a JSON line: %q: %w", s.buf[:i], err)
		}
		s.lines = append(s.lines, l)
		s.buf = s.buf[i+1:]
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

type nodeStderr struct{ s *nodeCrossws }

func (w nodeStderr) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.stderr.Write(p)
}

// waitFor waits until match finds what it looks for in the lines printed
// so far, and returns it.
func (s *nodeCrossws) waitFor(t *testing.T, what string, match func([]crosswsLine) (crosswsLine, bool)) crosswsLine {
	t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		l, ok := match(s.lines)
		bad, stderr := s.bad, s.stderr.String()
		s.mu.Unlock()
		require.NoError(t, bad, "stderr:\n%s", stderr)
		if ok {
			return l
		}
		select {
		case <-s.notify:
		case <-timeout.C:
			require.FailNow(t, "the crossws server did not print "+what, "stderr:\n%s", stderr)
		}
	}
}

// waitEvent waits until the server has printed event kind for peer id.
func (s *nodeCrossws) waitEvent(t *testing.T, kind, id string) {
	t.Helper()
	s.waitFor(t, kind+" of "+id, func(lines []crosswsLine) (crosswsLine, bool) {
		for _, l := range lines {
			if l.Event == kind && l.ID == id {
				return l, true
			}
		}
		return crosswsLine{}, false
	})
}

// messages returns the texts crossws's Message hook received from peer id
// once there are at least n of them.
func (s *nodeCrossws) messages(t *testing.T, id string, n int) []string {
	t.Helper()
	var got []string
	s.waitFor(t, fmt.Sprintf("%d messages from %s", n, id), func(lines []crosswsLine) (crosswsLine, bool) {
		got = got[:0]
		for _, l := range lines {
			if l.Event == "message" && l.ID == id {
				got = append(got, l.Text)
			}
		}
		return crosswsLine{}, len(got) >= n
	})
	return got
}

// crosswsFront serves the test page, the scenario helpers and anyws.js,
// and reverse-proxies every other request (but the favicon's) to the Node server: crossws
// sends no CORS headers, so the page must share the endpoint's origin.
func crosswsFront(t *testing.T, node *nodeCrossws) *httptest.Server {
	t.Helper()
	target, err := url.Parse(node.url)
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
	node := startNodeCrossws(t)
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
		open := node.waitFor(t, fmt.Sprintf("open #%d", i+1), func(lines []crosswsLine) (crosswsLine, bool) {
			var opens []crosswsLine
			for _, l := range lines {
				if l.Event == "open" {
					opens = append(opens, l)
				}
			}
			if len(opens) > i {
				return opens[i], true
			}
			return crosswsLine{}, false
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
	require.Equal(t, sent, node.messages(t, ids["a"], n), "crossws got each POST as one message")

	for _, name := range []string{"a", "b"} {
		var code int
		browsertest.Eval(t, ctx, "stop("+js(name)+")", &code)
		require.Equal(t, 1000, code)
		var st crosswsState
		browsertest.Eval(t, ctx, "state("+js(name)+")", &st)
		require.Equal(t, 3, st.ReadyState)
		require.Equal(t, []string{"open:sse", "close:1000"}, st.Events)
		node.waitEvent(t, "close", ids[name])
	}
}
