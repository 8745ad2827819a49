package browsertest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/test/browsertest"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestInvalidUTF8NeverReachesBrowsers: the README's chat republishes
// m.Text(); a client that sends a binary message with invalid UTF-8 must
// not make the server send a text frame a browser rejects (Chromium
// closes the WebSocket with 1006). The browser gets the text with U+FFFD
// and stays connected.
func TestInvalidUTF8NeverReachesBrowsers(t *testing.T) {
	t.Parallel()
	joined := make(chan struct{}, 2)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("chat")
			joined <- struct{}{}
		},
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Publish("chat", m.Text()) },
	}, nil)
	t.Cleanup(func() { shutdown(t, hub) })
	srv := serve(t, mux(websocket.New(hub, nil)), false)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/_ws"

	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	browsertest.Eval(t, ctx, `(() => {
		window.got = []; window.wsClosed = null;
		const ws = new WebSocket(`+js(url)+`);
		ws.onmessage = (e) => window.got.push(e.data);
		ws.onclose = (e) => { window.wsClosed = e.code; };
		window.sock = ws;
		return new Promise((resolve) => { ws.onopen = () => resolve(true); });
	})()`, nil)
	<-joined

	wctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := ws.Dial(wctx, url, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	select {
	case <-joined:
	case <-wctx.Done():
		t.Fatal("the Go client's peer did not open")
	}
	require.NoError(t, c.Write(wctx, ws.MessageBinary, []byte{'h', 'i', 0xFF}))
	require.NoError(t, c.Write(wctx, ws.MessageText, []byte("after")))

	var res struct {
		Got    []string
		Closed *int
	}
	deadline := time.Now().Add(wait)
	for {
		browsertest.Eval(t, ctx, `({got: window.got, closed: window.wsClosed})`, &res)
		if len(res.Got) >= 2 || res.Closed != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.Closed != nil {
		t.Fatalf("the browser's WebSocket closed with %d after %q", *res.Closed, res.Got)
	}
	require.Equal(t, []string{"hi\uFFFD", "after"}, res.Got)
	browsertest.Eval(t, ctx, `window.sock.close(1000)`, nil)
}
