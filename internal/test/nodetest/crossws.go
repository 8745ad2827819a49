// Package nodetest runs the project's Node.js test harness
// (testdata/node, installed by `make deps`) from Go tests: crossws's own
// SSE and WebSocket adapters on Node (crossws-sse-server.mjs,
// crossws-ws-server.mjs), which interop tests of the Go and JavaScript
// clients talk to, and its tools (tsc, esbuild: [Bin],
// [Run]) for the tests of the npm package in client/js. A missing install
// fails the test with the command to run; it never skips.
package nodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// repoRoot is the repository's root directory, found from this file's
// path so any test package can use the harness.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// nodeProcessTimeout bounds the life of one Node server; each test ends
// well before it.
const nodeProcessTimeout = 60 * time.Second

// Event is one line the Node server logs: a peer opened or closed,
// or a message crossws's Message hook received.
type Event struct {
	URL   string `json:"url"`
	Event string `json:"event"`
	ID    string `json:"id"`
	Text  string `json:"text"`
	// Query is the query string of a WebSocket peer's upgrade request
	// (crossws-ws-server.mjs's open events).
	Query string `json:"query"`
}

// Crossws is one crossws server on Node (SSE or WebSocket adapter), with
// what it logged.
type Crossws struct {
	// URL is where the server listens (http://127.0.0.1:port).
	URL string

	mu     sync.Mutex
	buf    []byte
	events []Event
	bad    error         // a line that was not JSON
	notify chan struct{} // capacity 1: signalled on every new event
	stderr bytes.Buffer  // under mu
}

// HarnessDir is testdata/node with its packages installed. A missing
// install fails the test rather than skipping it, so the interop checks
// never go quietly missing.
func HarnessDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(repoRoot(), "testdata", "node"))
	require.NoError(t, err)
	for _, pkg := range []string{"crossws", "srvx"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			require.FailNow(t, "the Node test harness is not installed ("+dir+"/node_modules/"+pkg+" is missing): run `make deps` in the repository root")
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		require.FailNow(t, "node is not on PATH: the crossws interop tests need Node.js 20.16 or later (then run `make deps`)")
	}
	return dir
}

// StartCrossws starts crossws-sse-server.mjs on a free loopback port and
// returns once it listens. Cleanup ends it (SIGTERM, then kill) and waits
// for it.
func StartCrossws(t *testing.T) *Crossws {
	t.Helper()
	return startCrossws(t, "crossws-sse-server.mjs")
}

// StartCrosswsWebSocket starts crossws-ws-server.mjs, crossws's WebSocket
// adapter for Node with the same hooks and log, as StartCrossws does.
func StartCrosswsWebSocket(t *testing.T) *Crossws {
	t.Helper()
	return startCrossws(t, "crossws-ws-server.mjs")
}

func startCrossws(t *testing.T, script string) *Crossws {
	t.Helper()
	dir := HarnessDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), nodeProcessTimeout)
	s := &Crossws{notify: make(chan struct{}, 1)}
	cmd := exec.CommandContext(ctx, "node", script, "0")
	cmd.Dir = dir
	cmd.Stdout = lineWriter{s}
	cmd.Stderr = stderrWriter{s}
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
	ev := s.WaitFor(t, "the URL line", func(evs []Event) (Event, bool) {
		if len(evs) > 0 {
			return evs[0], true
		}
		return Event{}, false
	})
	require.True(t, strings.HasPrefix(ev.URL, "http://127.0.0.1:"), "first line: %+v", ev)
	s.URL = ev.URL
	return s
}

type lineWriter struct{ s *Crossws }

func (w lineWriter) Write(p []byte) (int, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		var ev Event
		if err := json.Unmarshal(s.buf[:i], &ev); err != nil && s.bad == nil {
			s.bad = fmt.Errorf("not a JSON line: %q: %w", s.buf[:i], err)
		}
		s.events = append(s.events, ev)
		s.buf = s.buf[i+1:]
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

type stderrWriter struct{ s *Crossws }

func (w stderrWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.stderr.Write(p)
}

// waitFor waits until match finds what it looks for in the events logged
// so far, and returns it.
func (s *Crossws) WaitFor(t *testing.T, what string, match func([]Event) (Event, bool)) Event {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		ev, ok := match(s.events)
		bad, stderr := s.bad, s.stderr.String()
		s.mu.Unlock()
		require.NoError(t, bad, "stderr:\n%s", stderr)
		if ok {
			return ev
		}
		select {
		case <-s.notify:
		case <-timeout.C:
			require.FailNow(t, "the crossws server did not log "+what, "stderr:\n%s", stderr)
		}
	}
}

// waitEvent waits for the event kind of peer id.
func (s *Crossws) WaitEvent(t *testing.T, kind, id string) {
	t.Helper()
	s.WaitFor(t, kind+" of "+id, func(evs []Event) (Event, bool) {
		for _, ev := range evs {
			if ev.Event == kind && ev.ID == id {
				return ev, true
			}
		}
		return Event{}, false
	})
}

// waitMessages waits until crossws's Message hook has logged n messages
// from peer id, and returns their texts. The log can lag behind what the
// client has seen: it comes through the process's stdout.
func (s *Crossws) WaitMessages(t *testing.T, id string, n int) []string {
	t.Helper()
	var out []string
	s.WaitFor(t, fmt.Sprintf("%d messages from %s", n, id), func(evs []Event) (Event, bool) {
		out = out[:0]
		for _, ev := range evs {
			if ev.Event == "message" && ev.ID == id {
				out = append(out, ev.Text)
			}
		}
		return Event{}, len(out) >= n
	})
	return out
}
