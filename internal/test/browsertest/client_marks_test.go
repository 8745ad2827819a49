package browsertest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestClientMarksOverWebSocket: anyws.js in Chromium against a
// hand-written WebSocket server that speaks revision 2 with marks (the Go
// server's marks come separately). The client dials anyws=2; every
// message after the hello starts with its mark and "\n", text or binary,
// and the client delivers it without that line; its claim after a drop
// carries the last mark per tag. The server then says the peer was
// recovered (its node died) and received up to 9: the messages the
// client kept are reported unsent, not sent again, and the next one goes.
func TestClientMarksOverWebSocket(t *testing.T) {
	t.Parallel()
	type hello struct{ Query, Hello string }
	hellos := make(chan hello, 4)
	got := make(chan string, 16)
	var mu sync.Mutex
	n := 0
	m := mux(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		ctx := r.Context()
		_, h, err := c.Read(ctx)
		if err != nil {
			return
		}
		hellos <- hello{r.URL.Query().Get(sse.ClientParam), string(h)}
		write := func(typ websocket.MessageType, s string) bool { return c.Write(ctx, typ, []byte(s)) == nil }
		read := func() (string, bool) {
			_, data, err := c.Read(ctx)
			if err != nil {
				return "", false
			}
			got <- string(data)
			return string(data), true
		}
		if i == 0 {
			if !write(websocket.MessageText, `{"id":"s:0","resumed":false,"received":0,"marks":true}`) {
				return
			}
			// The client sets its binaryType, then says go.
			if _, ok := read(); !ok {
				return
			}
			if !write(websocket.MessageText, "AAAAAAAA5\nd1") ||
				!write(websocket.MessageBinary, "BBBBBBBB7\n\x01\x0a\xff") ||
				!write(websocket.MessageText, "\nd2\nline") {
				return
			}
			for {
				s, ok := read()
				if !ok || s == "a2" {
					return // the drop: no close frame
				}
			}
		}
		if !write(websocket.MessageText, `{"id":"s:3","resumed":true,"recovered":true,"received":9,"marks":true}`) ||
			!write(websocket.MessageText, "CCCCCCCC2\nd3") {
			return
		}
		for {
			if _, ok := read(); !ok {
				return
			}
		}
	}))
	srv := serve(t, m, false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	browsertest.Eval(t, ctx, "startResumable('c', '/_ws', {transport: 'websocket'})", nil)
	require.Equal(t, hello{"2", `{"marks":[]}`}, recvWithin(t, hellos, "the first hello"))
	browsertest.Eval(t, ctx, "binaryType('c', 'arraybuffer'), send('c', 'go')", nil)
	require.Equal(t, "go", recvWithin(t, got, "go"))
	var log resumeLog
	browsertest.Eval(t, ctx, "waitMessage('c', 'd2\\nline').then(() => (send('c', 'a1'), send('c', 'a2')))", nil)
	require.Equal(t, "a1", recvWithin(t, got, "a1"))
	require.Equal(t, "a2", recvWithin(t, got, "a2"))
	require.Equal(t, hello{"2", `{"resume":"s:3","marks":["AAAAAAAA5","BBBBBBBB7"],"sent":3}`}, recvWithin(t, hellos, "the claim"),
		"the claim counts the three messages received, carries the last mark per tag and the last number it sent")
	browsertest.Eval(t, ctx, "waitOpens('c', 2).then(() => waitMessage('c', 'd3')).then(() => send('c', 'a3'))", nil)
	require.Equal(t, "a3", recvWithin(t, got, "a3"), "nothing kept is sent to the recovered peer, then the new message")
	browsertest.Eval(t, ctx, "waitErrors('c', 3)", &log)
	require.Equal(t, []string{"d1", "bin:1,10,255", "d2\nline", "d3"}, log.Messages)
	require.Len(t, log.Opens, 2)
	require.True(t, log.Opens[1].Resumed)
	require.True(t, log.Opens[1].Recovered)
	require.False(t, log.Opens[1].Lost)
	var unsent []string
	for _, e := range log.Errors {
		if e.Unsent != "" {
			require.True(t, strings.Contains(e.Message, "recovered"), "error: %+v", e)
			unsent = append(unsent, e.Unsent)
		}
	}
	require.Equal(t, []string{"go", "a1", "a2"}, unsent, "what the client kept is reported unsent")
	browsertest.Eval(t, ctx, "stop('c')", nil)
}
