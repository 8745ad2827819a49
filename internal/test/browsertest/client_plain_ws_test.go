package browsertest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestClientSilentPlainWebSocket: a plain WebSocket server that says
// nothing first (no anyws hello, no welcome). anyws.js over WebSocket
// waits for the hello up to its timeout, then opens without recovery;
// the server's later messages are delivered as they are, and the
// client's too.
func TestClientSilentPlainWebSocket(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	m := mux(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			got <- string(data)
			if string(data) == "ping" {
				if err := c.Write(ctx, websocket.MessageText, []byte("pong")); err != nil {
					return
				}
			}
		}
	}))
	srv := serve(t, m, false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	var st struct{ Transport string }
	browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'websocket', timeout: 300})", &st)
	require.Equal(t, "websocket", st.Transport)
	require.Equal(t, `{"marks":[]}`, recvWithin(t, got, "the client's hello"))
	var log resumeLog
	browsertest.Eval(t, ctx, "send('c', 'ping'), waitMessage('c', 'pong')", &log)
	require.Equal(t, "ping", recvWithin(t, got, "the client's message"))
	require.Equal(t, []string{"pong"}, log.Messages)
	require.Len(t, log.Opens, 1)
	require.False(t, log.Opens[0].Resumed)
	browsertest.Eval(t, ctx, "stop('c')", nil)
}
