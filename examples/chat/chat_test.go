package main_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	chat "github.com/anyws/anyws/examples/chat"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

type member struct{ ID, Name, Transport string }

type event struct {
	Type  string
	You   *member
	Peers []member
	Peer  *member
	From  *member
	Text  string
}

type conn interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
}

func next(ctx context.Context, t *testing.T, c conn) event {
	t.Helper()
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	var ev event
	require.NoError(t, json.Unmarshal(data, &ev), "%s", data)
	return ev
}

func serveChat(t *testing.T, forceSSE bool) (*httptest.Server, *anyws.Hub) {
	hub := chat.NewHub()
	srv := httptest.NewServer(chat.NewHandler(hub, forceSSE, false))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
		srv.Close()
	})
	return srv, hub
}

// TestRoom: a WebSocket participant and an SSE participant in one room:
// welcome with who is present, join with the transport, messages to all
// (sender included), leave.
func TestRoom(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	srv, _ := serveChat(t, false)

	ada, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/_ws?name=Ada", nil)
	require.NoError(t, err)
	defer ada.CloseNow()
	w := next(ctx, t, ada)
	require.Equal(t, "welcome", w.Type)
	require.Equal(t, "Ada", w.You.Name)
	require.Equal(t, "websocket", w.You.Transport)
	require.Len(t, w.Peers, 1)

	bob, _, err := websocketsse.Dial(ctx, srv.URL+"/_ws?name=%20Bob%0A", &websocketsse.DialOptions{Reconnect: websocketsse.Reconnect{MaxAttempts: -1}})
	require.NoError(t, err)
	w = next(ctx, t, bob)
	require.Equal(t, "welcome", w.Type)
	require.Equal(t, member{ID: w.You.ID, Name: "Bob", Transport: "sse"}, *w.You)
	require.Equal(t, []string{"Ada", "Bob"}, []string{w.Peers[0].Name, w.Peers[1].Name})

	j := next(ctx, t, ada)
	require.Equal(t, "join", j.Type)
	require.Equal(t, *w.You, *j.Peer)

	require.NoError(t, bob.Write(ctx, websocket.MessageText, []byte("  hi Ada  ")))
	for _, c := range []conn{ada, bob} {
		m := next(ctx, t, c)
		require.Equal(t, "message", m.Type)
		require.Equal(t, "hi Ada", m.Text)
		require.Equal(t, "Bob", m.From.Name)
	}
	require.NoError(t, bob.Close(websocket.StatusNormalClosure, ""))
	l := next(ctx, t, ada)
	require.Equal(t, "leave", l.Type)
	require.Equal(t, "Bob", l.Peer.Name)
}

// TestPage: the page is served on / with the default transport the
// flag chose, and the client and the endpoint are next to it.
func TestPage(t *testing.T) {
	t.Parallel()
	for _, forceSSE := range []bool{false, true} {
		srv, _ := serveChat(t, forceSSE)
		body := get(t, srv.Client(), srv.URL+"/")
		want := `content="auto"`
		if forceSSE {
			want = `content="sse"`
		}
		require.Contains(t, body, `<meta name="anyws-transport" `+want+`>`)
		require.Contains(t, get(t, srv.Client(), srv.URL+"/anyws.js"), "export class AnyWS")
		resp, err := srv.Client().Get(srv.URL + "/_ws")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusNotAcceptable, resp.StatusCode)
	}
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestRun starts the program on a free port, over HTTPS with -tls, and
// checks that it serves HTTP/2 on both loopback addresses and stops
// cleanly when its context ends.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		proto string
	}{
		{[]string{"-port", "0"}, "HTTP/1.1"},
		{[]string{"-port", "0", "-tls", "-sse"}, "HTTP/2.0"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- chat.Run(ctx, tc.args, func(string) string { return "" }, pw)
			_ = pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		require.NoError(t, err)
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		m := regexp.MustCompile(`(https?)://localhost:(\d+)/`).FindStringSubmatch(line)
		require.NotNil(t, m, line)
		client := &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // the self-signed certificate
			ForceAttemptHTTP2: true,
		}}
		for _, host := range []string{"127.0.0.1", "[::1]"} {
			resp, err := client.Get(m[1] + "://" + host + ":" + m[2] + "/")
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, tc.proto, resp.Proto)
		}
		client.CloseIdleConnections()
		cancel()
		require.NoError(t, <-done)
	}
}
