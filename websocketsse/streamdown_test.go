package websocketsse_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestWriteFailsWhileServerGone drops the stream, and then every
// reconnect, as a node that died does: Write fails at once with
// ErrStreamDown instead of waiting through the reconnect policy (about
// 30 s by default) for a token that never comes.
func TestWriteFailsWhileServerGone(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			openStream(w, "tok1", 0)
			return // the stream drops
		}
		// The node is gone: the connection breaks before any answer.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}}
	url, client := serveStandin(t, s)
	c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer c.CloseNow()
	recv(t, s.gets)
	recv(t, s.gets) // the first reconnect attempt
	// Generous, yet shorter than the default reconnect policy.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = c.Write(ctx, websocket.MessageText, []byte("x"))
	require.ErrorIs(t, err, websocketsse.ErrStreamDown)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
}
