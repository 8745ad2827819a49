package websocket_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

type closed struct {
	p    *anyws.Peer
	info anyws.CloseInfo
}

// serveWS serves a Hub whose Message hook echoes, and reports closes.
func serveWS(t *testing.T, hooks anyws.Hooks, opts *wsadapter.Options) (string, *anyws.Hub, chan closed) {
	t.Helper()
	closes := make(chan closed, 16)
	if hooks.Message == nil {
		hooks.Message = func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }
	}
	hooks.Close = func(p *anyws.Peer, c anyws.CloseInfo) { closes <- closed{p, c} }
	hub := anyws.New(hooks, nil)
	srv := httptest.NewServer(wsadapter.New(hub, opts))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), hub, closes
}

func dial(t *testing.T, url string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c, resp
}

func waitClose(t *testing.T, ch chan closed) closed {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(wait):
		t.Fatal("the Close hook did not run")
		return closed{}
	}
}

func TestReadLimit(t *testing.T) {
	t.Parallel()
	url, _, closes := serveWS(t, anyws.Hooks{}, &wsadapter.Options{ReadLimit: 16})
	c, _ := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("short")))
	_, msg, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "short", string(msg))
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("x", 17))))
	_, _, err = c.Read(ctx)
	require.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err), "%v", err)
	require.Equal(t, anyws.StatusMessageTooBig, waitClose(t, closes).info.Code)
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	var got []string
	url, _, closes := serveWS(t, anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { got = append(got, string(m.Bytes())) },
	}, nil)
	c, _ := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageBinary, []byte{0xff, 0xfe}), "binary may hold anything")
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte{'a', 0xff}))
	_, _, err := c.Read(ctx)
	require.Equal(t, websocket.StatusInvalidFramePayloadData, websocket.CloseStatus(err), "%v", err)
	info := waitClose(t, closes).info
	require.Equal(t, anyws.StatusInvalidPayload, info.Code)
	require.Equal(t, []string{"\xff\xfe"}, got, "the invalid text never reached the hook")
}

func TestSubprotocols(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			for _, p := range u.Protocols {
				if p == "v2" {
					u.Protocol = "v2"
				}
			}
			// A hook cannot smuggle a sub-protocol through headers.
			u.Header.Set("Sec-WebSocket-Protocol", "smuggled")
			return nil
		},
	}, nil)
	c, _ := dial(t, url, &websocket.DialOptions{Subprotocols: []string{"v1", "v2"}})
	require.Equal(t, "v2", c.Subprotocol())
	c2, resp := dial(t, url, &websocket.DialOptions{Subprotocols: []string{"v1"}})
	require.Equal(t, "", c2.Subprotocol())
	require.Empty(t, resp.Header.Get("Sec-WebSocket-Protocol"))
}

func TestOrigins(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, &wsadapter.Options{OriginPatterns: []string{"*.example.com"}})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for origin, ok := range map[string]bool{
		"":                        true,
		"https://app.example.com": true,
		"https://evil.test":       false,
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
		if ok {
			require.NoError(t, err, origin)
			_ = c.CloseNow()
			continue
		}
		require.Error(t, err, origin)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		body, _ := io.ReadAll(resp.Body)
		require.Contains(t, string(body), "anyws: origin")
	}
}

func TestSameOriginAllowed(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, nil)
	host := strings.TrimPrefix(url, "ws://")
	dial(t, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://" + host}}})
}

func TestRejectionAndNotUpgrade(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			return &anyws.Rejection{Status: 401, Header: http.Header{"X-Error": {"unauthorized"}}, Body: "unauthorized"}
		},
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, url, nil)
	require.Error(t, err)
	require.Equal(t, 401, resp.StatusCode)
	require.Equal(t, "unauthorized", resp.Header.Get("X-Error"))

	resp, err = http.Get("http" + strings.TrimPrefix(url, "ws"))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), "anyws: this URL serves WebSocket")
}

func TestCompressionNegotiated(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, nil)
	_, resp := dial(t, url, &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	require.Contains(t, resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")

	url2, _, _ := serveWS(t, anyws.Hooks{}, &wsadapter.Options{DisableCompression: true})
	_, resp = dial(t, url2, &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	require.Empty(t, resp.Header.Get("Sec-WebSocket-Extensions"))
}

// A client that stops answering pings is closed after PingTimeout.
func TestPingTimeout(t *testing.T) {
	t.Parallel()
	url, _, closes := serveWS(t, anyws.Hooks{}, &wsadapter.Options{
		PingInterval: 20 * time.Millisecond, PingTimeout: 50 * time.Millisecond,
	})
	// A client that never reads never processes pings, so never pongs.
	dial(t, url, nil)
	info := waitClose(t, closes).info
	require.Equal(t, anyws.StatusAbnormalClosure, info.Code)
	require.Equal(t, "ping timeout", info.Reason)
}

// A client that reads answers pings and stays connected.
func TestPingKeepsReaders(t *testing.T) {
	t.Parallel()
	url, hub, closes := serveWS(t, anyws.Hooks{}, &wsadapter.Options{
		PingInterval: 10 * time.Millisecond, PingTimeout: 5 * time.Second,
	})
	c, _ := dial(t, url, nil)
	ctx, cancel := context.WithCancel(context.Background())
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_, _, _ = c.Read(ctx)
	}()
	require.Eventually(t, func() bool { return len(hub.Peers()) == 1 }, wait, time.Millisecond)
	time.Sleep(100 * time.Millisecond) // several ping rounds
	require.Len(t, closes, 0)
	require.Len(t, hub.Peers(), 1)
	cancel()
	<-readDone
}
