package websocketsse_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestFramedUplinkCutWhileIdle: over HTTP/1.1, the connection of the
// framed uplink is cut after the client wrote its last message into it
// and before the server delivered it; the event stream stays up and the
// client writes nothing more. Go's transport reports the dead POST only
// once its body is read again, so the client must notice by itself, and
// write the message again on a new uplink: it arrives, once.
func TestFramedUplinkCutWhileIdle(t *testing.T) {
	t.Parallel()
	got := make(chan string, 16)
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { _ = p.Send("hi") },
		Message: func(p *anyws.Peer, m anyws.Message) { got <- m.Text() },
	}, &anyws.Options{ResumeWindow: time.Minute})
	t.Cleanup(func() { _ = hub.Close() })
	h := sse.New(hub, &sse.Options{Bidirectional: true})
	var first atomic.Bool
	swallowed := make(chan error, 1)
	url, hc := startHTTP1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		framed := r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream")
		if !framed || !first.CompareAndSwap(false, true) {
			h.ServeHTTP(w, r)
			return
		}
		// The first framed uplink: read its first event, deliver
		// nothing, and cut the connection (a reset) without answering.
		swallowed <- func() error {
			br := bufio.NewReader(r.Body)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return err
				}
				if line == "\n" {
					break
				}
			}
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return err
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			return conn.Close()
		}()
	}))

	ctx := ctxT(t)
	c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{HTTPClient: hc, Uplink: websocketsse.UplinkStream})
	require.NoError(t, err)
	defer c.CloseNow()
	_, b, err := c.Read(ctx) // the hello has come: the server resumes
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))

	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("1")))
	require.NoError(t, recv(t, swallowed), "the first uplink's event read and its connection cut")
	select {
	case m := <-got:
		require.Equal(t, "1", m)
	case <-time.After(30 * time.Second):
		t.Fatal("waiting for message 1 to arrive: it was written into an uplink whose connection was then cut, and nothing was written after it")
	}
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("2")))
	require.Equal(t, "2", recv(t, got), "the next message, and message 1 once only")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	require.Empty(t, got)
}
