package websocketsse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// These tests run websocketsse against crossws's own SSE adapter
// (bidirectional mode) on Node: testdata/node/crossws-sse-server.mjs,
// served by srvx over HTTP/1.1.

// nodeProcessTimeout bounds the life of one Node server; each test ends
// well before it.
const nodeProcessTimeout = 60 * time.Second

// crosswsEvent is one line the Node server logs: a peer opened or closed,
// or a message crossws's Message hook received.
type crosswsEvent struct {
	URL   string `json:"url"`
	Event string `json:"event"`
	ID    string `json:"id"`
	Text  string `json:"text"`
}

// crosswsServer is one crossws SSE server on Node, with what it logged.
type crosswsServer struct {
	url string

	mu     sync.Mutex
	buf    []byte
	events []crosswsEvent
	bad    error         // a line that was not JSON
	notify chan struct{} // capacity 1: signalled on every new event
	stderr bytes.Buffer  // under mu
}

// nodeHarnessDir is testdata/node with its packages installed. A missing
// install fails the test rather than skipping it, so the interop checks
// never go quietly missing.
func nodeHarnessDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "node"))
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

// startCrossws starts crossws-sse-server.mjs on a free loopback port and
// returns once it listens. Cleanup ends it (SIGTERM, then kill) and waits
// for it.
func startCrossws(t *testing.T) *crosswsServer {
	t.Helper()
	dir := nodeHarnessDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), nodeProcessTimeout)
	s := &crosswsServer{notify: make(chan struct{}, 1)}
	cmd := exec.CommandContext(ctx, "node", "crossws-sse-server.mjs", "0")
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
	ev := s.waitFor(t, "the URL line", func(evs []crosswsEvent) (crosswsEvent, bool) {
		if len(evs) > 0 {
			return evs[0], true
		}
		return crosswsEvent{}, false
	})
	require.True(t, strings.HasPrefix(ev.URL, "http://127.0.0.1:"), "first line: %+v", ev)
	s.url = ev.URL
	return s
}

type lineWriter struct{ s *crosswsServer }

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
		var ev crosswsEvent
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

type stderrWriter struct{ s *crosswsServer }

func (w stderrWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.stderr.Write(p)
}

// waitFor waits until match finds what it looks for in the events logged
// so far, and returns it.
func (s *crosswsServer) waitFor(t *testing.T, what string, match func([]crosswsEvent) (crosswsEvent, bool)) crosswsEvent {
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
func (s *crosswsServer) waitEvent(t *testing.T, kind, id string) {
	t.Helper()
	s.waitFor(t, kind+" of "+id, func(evs []crosswsEvent) (crosswsEvent, bool) {
		for _, ev := range evs {
			if ev.Event == kind && ev.ID == id {
				return ev, true
			}
		}
		return crosswsEvent{}, false
	})
}

// waitMessages waits until crossws's Message hook has logged n messages
// from peer id, and returns their texts. The log can lag behind what the
// client has seen: it comes through the process's stdout.
func (s *crosswsServer) waitMessages(t *testing.T, id string, n int) []string {
	t.Helper()
	var out []string
	s.waitFor(t, fmt.Sprintf("%d messages from %s", n, id), func(evs []crosswsEvent) (crosswsEvent, bool) {
		out = out[:0]
		for _, ev := range evs {
			if ev.Event == "message" && ev.ID == id {
				out = append(out, ev.Text)
			}
		}
		return crosswsEvent{}, len(out) >= n
	})
	return out
}

// dial connects to the crossws server over HTTP/1.1, checks the welcome
// and returns the Conn and its peer id (which crossws also uses as the
// uplink token).
func (s *crosswsServer) dial(t *testing.T, uplink websocketsse.Uplink) (*websocketsse.Conn, string) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, resp, err := websocketsse.Dial(ctxT(t), s.url, &websocketsse.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
		Uplink:     uplink,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 1, resp.ProtoMajor)
	id := resp.Header.Get("x-crossws-id")
	require.NotEmpty(t, id, "crossws sends the token in the x-crossws-id header")
	requireText(t, c, "welcome "+id)
	return c, id
}

func requireText(t *testing.T, c *websocketsse.Conn, want string) {
	t.Helper()
	typ, got, err := c.Read(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	require.Equal(t, want, string(got))
}

// TestCrosswsWelcome: the stream opens, the Open hook's message arrives
// (crossws sends it before its crossws-id event), and Close ends the peer
// on crossws (its Close hook runs).
func TestCrosswsWelcome(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	c, id := s.dial(t, websocketsse.UplinkAuto)
	s.waitEvent(t, "open", id)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.waitEvent(t, "close", id)
}

// TestCrosswsPerMessage: one POST per message; crossws answers each with
// 200 (not 204) and delivers each as one message, in order.
func TestCrosswsPerMessage(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	c, id := s.dial(t, websocketsse.UplinkPerMessage)
	const n = 50
	var sent []string
	for i := range n {
		msg := fmt.Sprintf("message %d ✓", i)
		require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(msg)))
		sent = append(sent, msg)
	}
	for _, msg := range sent {
		requireText(t, c, "echo:"+msg)
	}
	require.Equal(t, sent, s.waitMessages(t, id, n))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.waitEvent(t, "close", id)
}

// TestCrosswsUplinkAuto: over HTTP/1.1 the default uplink is one POST per
// message, which crossws understands: every echo is the exact message.
func TestCrosswsUplinkAuto(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	c, id := s.dial(t, websocketsse.UplinkAuto)
	for i := range 5 {
		msg := fmt.Sprintf("auto %d", i)
		require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(msg)))
		requireText(t, c, "echo:"+msg)
	}
	require.Equal(t, []string{"auto 0", "auto 1", "auto 2", "auto 3", "auto 4"}, s.waitMessages(t, id, 5))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// TestCrosswsFramedUplink documents what crossws does with websocketsse's
// framed streaming uplink (Content-Type: text/event-stream), which it
// does not know: it decodes the body as text and hands every chunk it
// reads to the Message hook, so the application gets the SSE framing
// ("data: ...\n\n") as text, with messages merged or split wherever the
// network cut the body. Nothing is lost and the order holds, but the
// boundaries are gone. crossws's own raw stream mode has the same limit.
func TestCrosswsFramedUplink(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	c, id := s.dial(t, websocketsse.UplinkStream)
	var wire strings.Builder
	for i := range 10 {
		msg := fmt.Sprintf("framed %d", i)
		require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(msg)))
		wire.WriteString("data: " + msg + "\n\n")
	}
	// Close ends the POST; crossws answers it with 200.
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.waitEvent(t, "close", id)
	// crossws got the SSE frames as raw text, in chunks as the network cut
	// them: at most one message per Write, adding up to the frames.
	var got []string
	s.waitFor(t, "the framed uplink's bytes", func(evs []crosswsEvent) (crosswsEvent, bool) {
		got = got[:0]
		for _, ev := range evs {
			if ev.Event == "message" && ev.ID == id {
				got = append(got, ev.Text)
			}
		}
		return crosswsEvent{}, len(strings.Join(got, "")) >= wire.Len()
	})
	require.Equal(t, wire.String(), strings.Join(got, ""))
	require.LessOrEqual(t, len(got), 10)
}

// TestCrosswsChat: two Go clients on crossws; a message one sends is
// published to the other.
func TestCrosswsChat(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	a, _ := s.dial(t, websocketsse.UplinkAuto)
	b, _ := s.dial(t, websocketsse.UplinkAuto) // subscribed once its welcome came
	require.NoError(t, a.Write(ctxT(t), websocket.MessageText, []byte("hi from a")))
	requireText(t, a, "echo:hi from a")
	requireText(t, b, "hi from a")
	require.NoError(t, b.Write(ctxT(t), websocket.MessageText, []byte("hi from b")))
	requireText(t, b, "echo:hi from b")
	requireText(t, a, "hi from b")
	require.NoError(t, a.Close(websocket.StatusNormalClosure, ""))
	require.NoError(t, b.Close(websocket.StatusNormalClosure, ""))
}

// TestCrosswsLimits pins what crossws does not keep, so doc.go stays
// true: a text message with a newline comes back with crossws's
// comma-joined data lines, a binary message reaches crossws as text, an
// empty message is dropped, and a large message is cut into several
// messages (one per chunk crossws read).
func TestCrosswsLimits(t *testing.T) {
	t.Parallel()
	s := startCrossws(t)
	c, id := s.dial(t, websocketsse.UplinkPerMessage)

	require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte("line 1\nline 2")))
	requireText(t, c, "echo:line 1,data: line 2")

	require.NoError(t, c.Write(ctxT(t), websocket.MessageBinary, []byte("bytes")))
	requireText(t, c, "echo:bytes")

	// An empty body has no chunk: crossws answers 200 and drops it.
	require.NoError(t, c.Write(ctxT(t), websocket.MessageText, nil))
	require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte("after empty")))
	requireText(t, c, "echo:after empty")

	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(big)))
	var echoed strings.Builder
	parts := 0
	for echoed.Len() < len(big) {
		typ, p, err := c.Read(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, websocket.MessageText, typ)
		part, ok := strings.CutPrefix(string(p), "echo:")
		require.True(t, ok, "not an echo: %.40q", p)
		echoed.WriteString(part)
		parts++
	}
	require.True(t, big == echoed.String(), "the echoes do not add up to the message")
	require.Greater(t, parts, 1, "crossws delivers a 1 MiB POST as one message per chunk read")
	got := s.waitMessages(t, id, 3+parts)
	require.Len(t, got, 3+parts)
	require.Equal(t, []string{"line 1\nline 2", "bytes", "after empty"}, got[:3])
	require.True(t, big == strings.Join(got[3:], ""), "crossws's messages do not add up to the message")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}
