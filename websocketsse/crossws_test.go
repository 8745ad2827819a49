package websocketsse_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// These tests run websocketsse against crossws's own SSE adapter
// (bidirectional mode) on Node: testdata/node/crossws-sse-server.mjs,
// served by srvx over HTTP/1.1.

// dialCrossws connects to the crossws server over HTTP/1.1, checks the welcome
// and returns the Conn and its peer id (which crossws also uses as the
// uplink token).
func dialCrossws(t *testing.T, s *nodetest.Crossws, uplink websocketsse.Uplink) (*websocketsse.Conn, string) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, resp, err := websocketsse.Dial(ctxT(t), s.URL, &websocketsse.DialOptions{
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
	s := nodetest.StartCrossws(t)
	c, id := dialCrossws(t, s, websocketsse.UplinkAuto)
	s.WaitEvent(t, "open", id)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.WaitEvent(t, "close", id)
}

// TestCrosswsPerMessage: one POST per message; crossws answers each with
// 200 (not 204) and delivers each as one message, in order.
func TestCrosswsPerMessage(t *testing.T) {
	t.Parallel()
	s := nodetest.StartCrossws(t)
	c, id := dialCrossws(t, s, websocketsse.UplinkPerMessage)
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
	require.Equal(t, sent, s.WaitMessages(t, id, n))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.WaitEvent(t, "close", id)
}

// TestCrosswsUplinkAuto: over HTTP/1.1 the default uplink is one POST per
// message, which crossws understands: every echo is the exact message.
func TestCrosswsUplinkAuto(t *testing.T) {
	t.Parallel()
	s := nodetest.StartCrossws(t)
	c, id := dialCrossws(t, s, websocketsse.UplinkAuto)
	for i := range 5 {
		msg := fmt.Sprintf("auto %d", i)
		require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(msg)))
		requireText(t, c, "echo:"+msg)
	}
	require.Equal(t, []string{"auto 0", "auto 1", "auto 2", "auto 3", "auto 4"}, s.WaitMessages(t, id, 5))
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
	s := nodetest.StartCrossws(t)
	c, id := dialCrossws(t, s, websocketsse.UplinkStream)
	var wire strings.Builder
	for i := range 10 {
		msg := fmt.Sprintf("framed %d", i)
		require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte(msg)))
		wire.WriteString("data: " + msg + "\n\n")
	}
	// Close ends the POST; crossws answers it with 200.
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	s.WaitEvent(t, "close", id)
	// crossws got the SSE frames as raw text, in chunks as the network cut
	// them: at most one message per Write, adding up to the frames.
	var got []string
	s.WaitFor(t, "the framed uplink's bytes", func(evs []nodetest.Event) (nodetest.Event, bool) {
		got = got[:0]
		for _, ev := range evs {
			if ev.Event == "message" && ev.ID == id {
				got = append(got, ev.Text)
			}
		}
		return nodetest.Event{}, len(strings.Join(got, "")) >= wire.Len()
	})
	require.Equal(t, wire.String(), strings.Join(got, ""))
	require.LessOrEqual(t, len(got), 10)
}

// TestCrosswsChat: two Go clients on crossws; a message one sends is
// published to the other.
func TestCrosswsChat(t *testing.T) {
	t.Parallel()
	s := nodetest.StartCrossws(t)
	a, _ := dialCrossws(t, s, websocketsse.UplinkAuto)
	b, _ := dialCrossws(t, s, websocketsse.UplinkAuto) // subscribed once its welcome came
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
	s := nodetest.StartCrossws(t)
	c, id := dialCrossws(t, s, websocketsse.UplinkPerMessage)

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
	got := s.WaitMessages(t, id, 3+parts)
	require.Len(t, got, 3+parts)
	require.Equal(t, []string{"line 1\nline 2", "bytes", "after empty"}, got[:3])
	require.True(t, big == strings.Join(got[3:], ""), "crossws's messages do not add up to the message")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}
