package websocket_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/stretchr/testify/require"
)

// maskedFrame is a client's frame (masked, the mask zero).
func maskedFrame(op byte, payload []byte) []byte {
	if len(payload) > 125 {
		panic("maskedFrame: payload too long")
	}
	return append([]byte{0x80 | op, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

// readText reads frames until a text message, answering pings, and
// returns it.
func (c *rawClient) readTextFrame(t *testing.T, what string) string {
	t.Helper()
	for {
		op, payload, err := c.readFrame()
		require.NoError(t, err, "reading %s", what)
		switch op {
		case 0x1:
			return string(payload)
		case 0x9:
			require.NoError(t, c.writeFrame(0xA, payload), "answering a ping while reading %s", what)
		case 0x8:
			t.Fatalf("a close frame (%d) while reading %s", binary.BigEndian.Uint16(payload), what)
		}
	}
}

// waitGoroutines waits until at most max goroutines run.
func waitGoroutines(t *testing.T, max int, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= max }, wait, time.Millisecond,
		"waiting for at most %d goroutines (%s), %d run", max, what, runtime.NumGoroutine())
}

// Idle connections hold no goroutine (Linux: the reader parks them in
// the poller), and each message that arrives after the idle time is
// delivered, in order, to its own peer. Not parallel: it counts the
// process's goroutines.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("idle connections park only on Linux")
	}
	url, hub := serveQuiet(t, anyws.Hooks{}, &wsadapter.Options{DisableCompression: true})
	const n = 64
	base := runtime.NumGoroutine()
	cs := make([]*rawClient, n)
	for i := range cs {
		cs[i] = dialRaw(t, url)
	}
	require.Eventually(t, func() bool { return hub.Stats().Peers == n }, wait, time.Millisecond, "waiting for %d peers", n)
	// The poller's goroutine and a few of the server's: not one per peer.
	waitGoroutines(t, base+4, fmt.Sprintf("%d idle peers", n))
	require.True(t, wsadapter.PollerRunning())
	for round := range 3 {
		// Every client sends a burst in one write (the reader drains it
		// all before it parks again) and gets each message back, in order.
		for i, c := range cs {
			var burst []byte
			for k := range 20 {
				burst = append(burst, maskedFrame(0x1, fmt.Appendf(nil, "c%d r%d m%d", i, round, k))...)
			}
			_, err := c.conn.Write(burst)
			require.NoError(t, err)
		}
		for i, c := range cs {
			for k := range 20 {
				require.Equal(t, fmt.Sprintf("c%d r%d m%d", i, round, k), c.readTextFrame(t, "an echo"))
			}
		}
		waitGoroutines(t, base+4, "the peers idle again")
	}
	// Clients that ping: the pongs come back, and the peers stay without
	// a goroutine (coder/websocket's Read would answer, then wait in it).
	for round := range 3 {
		for i, c := range cs {
			payload := fmt.Appendf(nil, "ping %d %d", i, round)
			require.NoError(t, c.writeFrame(0x9, payload))
			op, got, err := c.readFrame()
			require.NoError(t, err, "reading the pong")
			require.Equal(t, byte(0xA), op)
			require.Equal(t, payload, got)
		}
		waitGoroutines(t, base+4, "the peers idle after pings")
	}
	// And messages still come through, in order, after the pings.
	for i, c := range cs {
		require.NoError(t, c.writeFrame(0x1, fmt.Appendf(nil, "after pings %d", i)))
		require.Equal(t, fmt.Sprintf("after pings %d", i), c.readTextFrame(t, "an echo after pings"))
	}
	for _, c := range cs {
		_ = c.conn.Close()
	}
	require.Eventually(t, func() bool { return hub.Stats().Peers == 0 }, wait, time.Millisecond, "waiting for the peers to end")
	if !waitFor(func() bool { return !wsadapter.PollerRunning() }) {
		t.Fatalf("waiting for the poller to stop with no connection left: %d in it", wsadapter.PollerConns())
	}
}

// A message sent a byte at a time to an idle connection (each byte
// wakes it; the reader then waits in Read for the rest) arrives whole.
func TestIdleConnectionSplitFrames(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, &wsadapter.Options{DisableCompression: true})
	c := dialRaw(t, url)
	frames := append(maskedFrame(0xA, []byte("split pong")), maskedFrame(0x1, []byte("hello"))...)
	frames = append(frames, maskedFrame(0xA, nil)...)
	frames = append(frames, maskedFrame(0x1, []byte("world"))...)
	for i := range frames {
		_, err := c.conn.Write(frames[i : i+1])
		require.NoError(t, err)
	}
	require.Equal(t, "hello", c.readTextFrame(t, "the first echo"))
	require.Equal(t, "world", c.readTextFrame(t, "the second echo"))
}

// Pings to idle connections are answered by pongs that the poller
// consumes, for many rounds, and the peers stay; a client that stops
// answering is dropped with "ping timeout" while its connection parks.
func TestIdlePongsKeepConnections(t *testing.T) {
	t.Parallel()
	url, hub, closes := serveWS(t, anyws.Hooks{}, &wsadapter.Options{
		DisableCompression: true, PingInterval: 5 * time.Millisecond, PingTimeout: 2 * time.Second,
	})
	const n, rounds = 8, 30
	cs := make([]*rawClient, n)
	for i := range cs {
		cs[i] = dialRaw(t, url)
	}
	require.Eventually(t, func() bool { return hub.Stats().Peers == n }, wait, time.Millisecond, "waiting for %d peers", n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pings := 0; pings < rounds; {
				op, payload, err := c.readFrame()
				if err != nil {
					errs <- err
					return
				}
				if op != 0x9 {
					errs <- fmt.Errorf("frame %#x while waiting for pings", op)
					return
				}
				pings++
				if err := c.writeFrame(0xA, payload); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	select {
	case c := <-closes:
		t.Fatalf("a peer that answered pings was closed: %+v", c.info)
	default:
	}
	require.Equal(t, n, hub.Stats().Peers)
	// Now nobody answers: every peer ends with a ping timeout.
	for range n {
		info := waitClose(t, closes).info
		require.Equal(t, anyws.StatusAbnormalClosure, info.Code)
		require.Equal(t, "ping timeout", info.Reason)
	}
}

// Closing idle connections: the server's close handshake, the client's
// close, and a client that goes away without one, each reported once.
func TestCloseWhileIdle(t *testing.T) {
	t.Parallel()
	opened := make(chan *anyws.Peer, 4)
	url, _, closes := serveWS(t, anyws.Hooks{Open: func(p *anyws.Peer) { opened <- p }}, &wsadapter.Options{DisableCompression: true})

	// The server closes.
	c := dialRaw(t, url)
	p := recv(t, opened, "the peer")
	require.NoError(t, c.writeFrame(0x1, []byte("ping-pong")))
	require.Equal(t, "ping-pong", c.readTextFrame(t, "the echo")) // then idle
	_ = p.Close(4001, "bye")
	op, payload, err := c.readFrame()
	require.NoError(t, err)
	require.Equal(t, byte(0x8), op)
	require.NoError(t, c.writeFrame(0x8, payload))
	info := waitClose(t, closes).info
	require.Equal(t, anyws.StatusCode(4001), info.Code)
	require.Equal(t, "bye", info.Reason)

	// The client closes.
	c = dialRaw(t, url)
	recv(t, opened, "the second peer")
	require.NoError(t, c.writeFrame(0x8, closePayload(4002, "client")))
	op, _, err = c.readFrame()
	require.NoError(t, err)
	require.Equal(t, byte(0x8), op)
	info = waitClose(t, closes).info
	require.Equal(t, anyws.StatusCode(4002), info.Code)

	// The client goes away.
	c = dialRaw(t, url)
	recv(t, opened, "the third peer")
	_ = c.conn.Close()
	info = waitClose(t, closes).info
	require.Equal(t, anyws.StatusAbnormalClosure, info.Code)

	// The server aborts (Hub.Close aborts what does not close in time;
	// here CloseNow).
	c = dialRaw(t, url)
	p = recv(t, opened, "the fourth peer")
	_ = p.CloseNow()
	info = waitClose(t, closes).info
	require.Equal(t, anyws.StatusAbnormalClosure, info.Code)
	_, _, err = c.readFrame()
	require.Error(t, err, "the aborted connection is closed")
}

// Connections that open and close quickly, reusing fds, while others
// stay idle: every message still reaches the right peer.
func TestIdleConnectionsAmidChurn(t *testing.T) {
	t.Parallel()
	url, _ := serveQuiet(t, anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(p.ID() + " " + m.String()) },
	}, &wsadapter.Options{DisableCompression: true})
	const idle, churn = 32, 200
	cs := make([]*rawClient, idle)
	ids := make([]string, idle)
	for i := range cs {
		cs[i] = dialRaw(t, url)
		require.NoError(t, cs[i].writeFrame(0x1, []byte("hi")))
		id, ok := strings.CutSuffix(cs[i].readTextFrame(t, "the first echo"), " hi")
		require.True(t, ok)
		ids[i] = id
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range churn / 4 {
				conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "ws://"), wait)
				if err != nil {
					errs <- err
					return
				}
				_ = conn.SetDeadline(time.Now().Add(wait))
				msg := fmt.Appendf(nil, "churn %d %d", w, k)
				req := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
				// Half send a message behind the request (read ahead by
				// net/http), half just go away.
				if k%2 == 0 {
					_, err = conn.Write(append([]byte(req), maskedFrame(0x1, msg)...))
					if err == nil {
						var got []byte
						got, err = readUntil(conn, msg)
						if err != nil {
							err = fmt.Errorf("churn %d %d: %w (got %q)", w, k, err, got)
						}
					}
				} else {
					_, err = conn.Write([]byte(req))
				}
				_ = conn.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Meanwhile the idle ones talk now and then.
	for round := range 5 {
		for i, c := range cs {
			msg := fmt.Sprintf("r%d c%d", round, i)
			require.NoError(t, c.writeFrame(0x1, []byte(msg)))
			require.Equal(t, ids[i]+" "+msg, c.readTextFrame(t, "an echo amid churn"))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i, c := range cs {
		msg := fmt.Sprintf("last c%d", i)
		require.NoError(t, c.writeFrame(0x1, []byte(msg)))
		require.Equal(t, ids[i]+" "+msg, c.readTextFrame(t, "the last echo"))
	}
}

// waitFor waits for cond, for at most wait.
func waitFor(cond func() bool) bool {
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// serveQuiet is serveWS without the closes (a test with more than its
// channel holds).
func serveQuiet(t *testing.T, hooks anyws.Hooks, opts *wsadapter.Options) (string, *anyws.Hub) {
	t.Helper()
	if hooks.Message == nil {
		hooks.Message = func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }
	}
	hub := anyws.New(hooks, nil)
	srv := httptest.NewServer(wsadapter.New(hub, opts))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), hub
}

// readUntil reads from conn until what it read contains want.
func readUntil(conn net.Conn, want []byte) ([]byte, error) {
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, want) {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// Both ways a handshake can reach the reader: frames sent right behind
// the request (net/http read them ahead: they move to the connection's
// read chunk) and frames sent after the 101.
func TestFramesBehindTheRequest(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, &wsadapter.Options{DisableCompression: true})
	host := strings.TrimPrefix(url, "ws://")
	conn, err := net.DialTimeout("tcp", host, wait)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wait))
	req := []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	for i := range 3 {
		req = append(req, maskedFrame(0x1, fmt.Appendf(nil, "ahead %d", i))...)
	}
	_, err = conn.Write(req)
	require.NoError(t, err)
	got, err := readUntil(conn, []byte("ahead 2"))
	require.NoError(t, err, "got %q", got)
	require.Contains(t, string(got), "HTTP/1.1 101")
	require.Less(t, strings.Index(string(got), "ahead 0"), strings.Index(string(got), "ahead 1"))
	require.Less(t, strings.Index(string(got), "ahead 1"), strings.Index(string(got), "ahead 2"))
	// Then idle, then more.
	_, err = conn.Write(maskedFrame(0x1, []byte("after")))
	require.NoError(t, err)
	got, err = readUntil(conn, []byte("after"))
	require.NoError(t, err, "got %q", got)
}

// Between messages, coder/websocket's reader may hold the front of the
// next frame, so the bytes behind it are mid-frame: the reader must not
// take them for a ping (here a binary message whose mask key ends in
// 0x89 and whose payload starts with 0x80, a ping's first two bytes).
func TestPingLookalikeMidFrame(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, &wsadapter.Options{DisableCompression: true})
	c := dialRaw(t, url)
	key := [4]byte{0, 0, 0, 0x89}
	raw := []byte{0x80, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'}
	want := make([]byte, len(raw))
	for i := range raw {
		want[i] = raw[i] ^ key[i&3]
	}
	// The text frame is 11 bytes, so a 16-byte read holds the binary
	// frame's first 5: what follows starts with the key's last byte.
	b := maskedFrame(0x1, []byte("hello"))
	b = append(b, 0x80|0x2, 0x80|byte(len(raw)))
	b = append(append(b, key[:]...), raw...)
	_, err := c.conn.Write(b)
	require.NoError(t, err)
	require.Equal(t, "hello", c.readTextFrame(t, "the text echo"))
	op, got, err := c.readFrame()
	require.NoError(t, err)
	require.Equal(t, byte(0x2), op, "the binary echo (got %q)", got)
	require.Equal(t, want, got)
}
