package websocketsse_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestCloseSaysGoodbye: against a server that keeps peers for a resume,
// Close sends its code and reason, and the peer closes at once with them
// (instead of waiting out the hour-long resume window).
func TestCloseSaysGoodbye(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c, closed := dialGoodbyeHub(t, m, nil)
			require.NoError(t, c.Write(ctxT(t), websocket.MessageText, []byte("hi")))
			requireGoodbye(t, c, closed)
			require.ErrorIs(t, c.Close(websocket.StatusNormalClosure, ""), net.ErrClosed)
		})
	}
}

// TestCloseBeforeHelloSaysGoodbye: a Close made before the client has
// read the server's hello (its stream is slow, or it closes at once)
// still says goodbye: the stream's response headers say the peer can be
// resumed. Once it did not, and the peer waited out the window.
func TestCloseBeforeHelloSaysGoodbye(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c, closed := dialGoodbyeHub(t, m, headersOnly)
			requireGoodbye(t, c, closed)
		})
	}
}

// dialGoodbyeHub dials an echo server whose peers wait an hour for a
// resume; closed receives how each peer closed.
func dialGoodbyeHub(t *testing.T, m mode, wrap func(http.Handler) http.Handler) (*websocketsse.Conn, chan anyws.CloseInfo) {
	closed := make(chan anyws.CloseInfo, 1)
	s := serveEchoHub(t, m, &anyws.Options{ResumeWindow: time.Hour}, &sse.Options{Hooks: anyws.Hooks{
		Close: func(_ *anyws.Peer, ci anyws.CloseInfo) { closed <- ci },
	}}, wrap)
	return s.dial(t, nil), closed
}

// requireGoodbye closes c with 4001 "done" and checks its peer closed
// with them, at once.
func requireGoodbye(t *testing.T, c *websocketsse.Conn, closed chan anyws.CloseInfo) {
	t.Helper()
	require.NoError(t, c.Close(4001, "done"))
	ci := recv(t, closed)
	require.Equal(t, anyws.StatusCode(4001), ci.Code)
	require.Equal(t, "done", ci.Reason)
}

// headersOnly lets event streams' headers through and drops their body
// (the hello among it), as a network that delays it would.
func headersOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w = dropBody{w}
		}
		h.ServeHTTP(w, r)
	})
}

type dropBody struct{ http.ResponseWriter }

func (d dropBody) Write(b []byte) (int, error) { return len(b), nil }
func (d dropBody) Flush()                      { d.ResponseWriter.(http.Flusher).Flush() }
func (d dropBody) Unwrap() http.ResponseWriter { return d.ResponseWriter }
