package websocket_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

type hello struct {
	ID       string `json:"id"`
	Resumed  bool   `json:"resumed"`
	Reason   string `json:"reason"`
	Received uint64 `json:"received"`
}

// helloConn dials a marked connection, sends the client's hello and
// returns the server's.
func helloConn(t *testing.T, url, clientHello string) (*websocket.Conn, hello) {
	t.Helper()
	c, _ := dial(t, url+"/?anyws=1", nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(clientHello)))
	typ, data, err := c.Read(ctx)
	require.NoError(t, err, "waiting for the server's hello")
	require.Equal(t, websocket.MessageText, typ)
	var h hello
	require.NoError(t, json.Unmarshal(data, &h), "hello %s", data)
	return c, h
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	return string(data)
}

// TestResumeProtocol walks the marked protocol by hand: hello, numbered
// messages both ways, a drop, a resume that gets what was missed and
// says which uplink message arrived last, a resend delivered once.
func TestResumeProtocol(t *testing.T) {
	t.Parallel()
	got := make(chan string, 16)
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("t") },
		Message: func(p *anyws.Peer, m anyws.Message) { got <- m.Text() },
	}, &anyws.Options{ResumeWindow: time.Minute})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	c, h := helloConn(t, url, `{}`)
	require.False(t, h.Resumed)
	require.Regexp(t, `^[A-Za-z0-9_-]{22}:0$`, h.ID)
	secret := strings.TrimSuffix(h.ID, ":0")
	require.NoError(t, hub.Publish("t", "a"))
	require.NoError(t, hub.Publish("t", "b"))
	require.Equal(t, "a", readText(t, c))
	require.Equal(t, "b", readText(t, c))
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("up1")))
	require.Equal(t, "up1", recv(t, got, "the first uplink message"))
	_ = c.CloseNow() // a drop: the client saw 2 messages, sent 1

	require.Eventually(t, func() bool { return len(hub.Peers()) == 1 }, wait, time.Millisecond)
	require.NoError(t, hub.Publish("t", "c"))
	c2, h2 := helloConn(t, url, `{"resume":"`+secret+`:1"}`)
	require.True(t, h2.Resumed, "hello %+v", h2)
	require.Equal(t, secret+":1", h2.ID)
	require.Equal(t, uint64(1), h2.Received)
	require.Equal(t, "b", readText(t, c2), "what the client said it missed comes again")
	require.Equal(t, "c", readText(t, c2))
	// The client resends number 1 (it could not know), then number 2.
	require.NoError(t, c2.Write(ctx, websocket.MessageText, []byte("up2")))
	require.Equal(t, "up2", recv(t, got, "the second uplink message"))
	require.NoError(t, c2.Close(websocket.StatusNormalClosure, ""))
}

// TestResumeProtocolOff: with recovery off a marked client gets a hello
// without an id (it must not try to resume) and no numbering; a bad
// hello closes with 1008 and a reason; an unmarked client's first
// message is the application's.
func TestResumeProtocolOff(t *testing.T) {
	t.Parallel()
	closes := make(chan closed, 1)
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
		Close:   func(p *anyws.Peer, c anyws.CloseInfo) { closes <- closed{p, c} },
	}, &anyws.Options{ResumeWindow: -1})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, h := helloConn(t, url, `{"resume":"0123:4"}`)
	require.Empty(t, h.ID)
	require.False(t, h.Resumed)
	require.Empty(t, h.Reason, "recovery off: the claim is not looked at")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("echo")))
	require.Equal(t, "echo", readText(t, c))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	waitClose(t, closes)

	bad, _ := dial(t, url+"/?anyws=1", nil)
	require.NoError(t, bad.Write(ctx, websocket.MessageText, []byte("not a hello")))
	_, _, err := bad.Read(ctx)
	require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
	require.Contains(t, err.Error(), "expected the client's hello")

	plain, _ := dial(t, url, nil)
	require.NoError(t, plain.Write(ctx, websocket.MessageText, []byte(`{}`)))
	require.Equal(t, `{}`, readText(t, plain), "an unmarked client speaks plain WebSocket")
}
