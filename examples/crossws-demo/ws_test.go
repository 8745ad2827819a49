package main_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

func TestWebSocketWelcomeIsFirstAndNamesTheNamespace(t *testing.T) {
	t.Parallel()
	s := serve(t)
	for _, path := range []string{"/", "/room/1"} {
		conn, _, err := websocket.Dial(ctxT(t), s.wsURL(path+"?x=1"), nil)
		require.NoError(t, err)
		c := &wsClient{t: t, conn: conn}
		welcomeID(t, c.readText(), path)
		require.NoError(t, conn.Close(websocket.StatusNormalClosure, ""))
	}
}

func TestWebSocketCommands(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialWS(t, s.wsURL("/"), nil)
	require.Equal(t, "pong", c.ask("ping"))
	require.Equal(t, "drained", c.ask("waitForDrain"))

	c.send("binary")
	typ, b := c.read()
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, "binary message works!", string(b))

	// A command in a binary frame is read as its UTF-8 text.
	ctx := ctxT(t)
	require.NoError(t, c.conn.Write(ctx, websocket.MessageBinary, []byte("ping")))
	require.Equal(t, "pong", c.readText())
}

func TestWebSocketDebug(t *testing.T) {
	t.Parallel()
	s := serve(t)
	c := dialWS(t, s.wsURL("/?foo=bar"), &websocket.DialOptions{
		Subprotocols:    []string{"crossws"},
		CompressionMode: websocket.CompressionContextTakeover,
		HTTPHeader:      http.Header{"X-Test": {"1"}, "X-Multi": {"a", "b"}},
	})
	d := c.debug()
	require.Equal(t, c.id, d.ID)
	require.Equal(t, "127.0.0.1", d.RemoteAddress)
	require.Equal(t, map[string]any{"test": "1"}, d.Context)
	require.Equal(t, "http://"+s.host+"/?foo=bar", d.Request.URL)
	require.Equal(t, "ws://"+s.host+"/?foo=bar", d.WebSocket.URL)
	require.Equal(t, 1, d.WebSocket.ReadyState)

	h := d.Request.Headers
	require.Equal(t, s.host, h["host"])
	require.Equal(t, "1", h["x-test"])
	require.Equal(t, "a, b", h["x-multi"])
	require.Equal(t, "crossws", h["sec-websocket-protocol"])
	require.True(t, strings.EqualFold(h["connection"], "upgrade"), "connection: %q", h["connection"])
	require.Contains(t, h["sec-websocket-extensions"], "permessage-deflate")

	require.Equal(t, "crossws", *d.WebSocket.Protocol, "the request's sub-protocol, though not negotiated")
	require.Equal(t, h["sec-websocket-extensions"], *d.WebSocket.Extensions)
	require.Empty(t, c.conn.Subprotocol())
}

func TestWebSocketDebugRemoteAddressIPv6(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	} else {
		require.NoError(t, ln.Close())
	}
	s := serveOn(t, "[::1]:0")
	c := dialWS(t, s.wsURL("/?foo=bar"), nil)
	d := c.debug()
	require.Equal(t, "::1", d.RemoteAddress)
	require.Equal(t, "http://"+s.host+"/?foo=bar", d.Request.URL)
	require.Empty(t, *d.WebSocket.Protocol)
	require.Empty(t, *d.WebSocket.Extensions)
}

func TestWebSocketPeersCommandIsStable(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialWS(t, s.wsURL("/"), nil)
	other := dialWS(t, s.wsURL("/elsewhere"), nil)
	_ = other
	require.Equal(t, b.id+" joined!", a.readText())

	want := `{"peers":["` + a.id + `","` + b.id + `"]}`
	for range 3 {
		require.Equal(t, want, a.ask("peers"))
		require.Equal(t, want, b.ask("peers"))
	}
}

func TestWebSocketChat(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialWS(t, s.wsURL("/"), nil)
	stranger := dialWS(t, s.wsURL("/other"), nil)
	require.Equal(t, b.id+" joined!", a.readText())

	require.Equal(t, "hello b", a.ask("hello b"), "echo to the sender")
	require.Equal(t, "hello b", b.readText(), "published to the others")
	require.Equal(t, "pong", a.ask("ping"), "the sender does not get its own publish")
	require.Equal(t, "pong", b.ask("ping"))
	require.Equal(t, "pong", stranger.ask("ping"), "another namespace does not get it")

	require.Equal(t, "héllo ✓", b.ask("héllo ✓"))
	require.Equal(t, "héllo ✓", a.readText())
}

func TestWebSocketSubprotocol(t *testing.T) {
	t.Parallel()
	s := serve(t)
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"supported"}, "supported"},
		{[]string{"unsupported"}, ""},
		{[]string{"crossws"}, ""},
		{[]string{"supported", "other"}, ""},
		{nil, ""},
	} {
		c := dialWS(t, s.wsURL("/"), &websocket.DialOptions{Subprotocols: tc.offer})
		require.Equal(t, tc.want, c.resp.Header.Get("Sec-WebSocket-Protocol"), "offer %q", tc.offer)
		require.Equal(t, tc.want, c.conn.Subprotocol())
		requireDemoHeaders(t, c.resp.Header)
		require.NoError(t, c.conn.Close(websocket.StatusNormalClosure, ""))
	}
}

func TestWebSocketOrigin(t *testing.T) {
	t.Parallel()
	s := serve(t)
	// coder/websocket sends no Origin header, like Node's ws.
	noOrigin := dialWS(t, s.wsURL("/"), nil)
	_, ok := noOrigin.debug().Request.Headers["origin"]
	require.False(t, ok)
	// crossws checks no origin; the demo allows every one the same way.
	cross := dialWS(t, s.wsURL("/"), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://elsewhere.example"}}})
	require.Equal(t, "https://elsewhere.example", cross.debug().Request.Headers["origin"])
}

func TestWebSocketUnauthorized(t *testing.T) {
	t.Parallel()
	s := serve(t)
	_, _, err := websocket.Dial(ctxT(t), s.wsURL("/?unauthorized"), nil)
	require.Error(t, err)

	// The raw exchange, as a browser sees it.
	conn, err := net.Dial("tcp", s.host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /?unauthorized HTTP/1.1\r\nHost: " + s.host + "\r\n" +
		"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body := new(strings.Builder)
	_, err = bufio.NewReader(resp.Body).WriteTo(body)
	require.NoError(t, err)
	requireUnauthorized(t, resp, body.String())
	require.Empty(t, peersList(t, s))
}

func TestWebSocketCloseLeavesPeers(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialWS(t, s.wsURL("/"), nil)
	require.Equal(t, []string{a.id, b.id}, peersList(t, s))

	require.NoError(t, a.conn.Close(websocket.StatusNormalClosure, "bye"))
	require.Eventually(t, func() bool { return len(peersList(t, s)) == 1 }, timeout, tick)
	require.Equal(t, []string{b.id}, peersList(t, s))
	require.Equal(t, `{"peers":["`+b.id+`"]}`, b.ask("peers"))

	_ = b.conn.CloseNow() // no close handshake: a dropped connection
	require.Eventually(t, func() bool { return len(peersList(t, s)) == 0 }, timeout, tick)
}
