package websocket_test

import (
	"context"
	"errors"
	"io"
	"net"
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

// smallBuffers is the socket buffer size on both ends of the overflow
// tests: a client that stops reading blocks the server's write after a
// few tens of KiB instead of the megabytes loopback buffers hold.
const smallBuffers = 16 << 10

// smallBufferListener gives every accepted connection a small send buffer.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(smallBuffers)
	}
	return c, err
}

// smallBufferClient dials with a small receive buffer.
func smallBufferClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(smallBuffers)
			}
			return c, err
		},
	}}
}

// overflowServer serves a Hub with a 64 KiB queue and small socket
// buffers; opened gets each peer.
func overflowServer(t *testing.T, opts *wsadapter.Options) (url string, opened chan *anyws.Peer, closes chan closed) {
	t.Helper()
	opened = make(chan *anyws.Peer, 1)
	closes = make(chan closed, 1)
	hub := anyws.New(anyws.Hooks{
		Open:  func(p *anyws.Peer) { opened <- p },
		Close: func(p *anyws.Peer, c anyws.CloseInfo) { closes <- closed{p, c} },
	}, &anyws.Options{QueueBytes: 64 << 10})
	srv := httptest.NewUnstartedServer(wsadapter.New(hub, opts))
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), opened, closes
}

// bigMessage is larger than the socket buffers hold, so a write of it
// cannot finish until the client reads; an empty queue takes it whatever
// its bound.
var bigMessage = strings.Repeat("y", 256<<10)

// flood sends 1 KiB messages to p until its queue overflows (at most
// 64 MiB, far more than the queue and the socket buffers hold).
func flood(t *testing.T, p *anyws.Peer) {
	t.Helper()
	msg := strings.Repeat("x", 1<<10)
	for range 64 << 10 {
		if err := p.Send(msg); err != nil {
			require.ErrorIs(t, err, anyws.ErrQueueFull)
			return
		}
	}
	require.FailNow(t, "the queue never overflowed")
}

// readToEnd reads c until it fails and returns the close code it got
// (-1: none, the connection just ended).
func readToEnd(c *websocket.Conn) websocket.StatusCode {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// TestOverflowCloseReachesClient: a peer closed because its queue
// overflowed tells its client why (1013), whenever the client reads
// again (issue 16 item 7). Over bounded rounds: a client that stops
// reading while a big message is being written to it and resumes once
// the queue overflowed, and one that reads all along but slower than the
// server sends. The overflow used to abort the write in progress, so the
// client saw the connection end with no close frame.
func TestOverflowCloseReachesClient(t *testing.T) {
	t.Parallel()
	for _, paused := range []bool{true, false} {
		name := "reading"
		if paused {
			name = "paused"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, opened, closes := overflowServer(t, &wsadapter.Options{DisableCompression: true})
			const rounds = 10
			got := map[websocket.StatusCode]int{}
			for range rounds {
				c, _ := dial(t, url, &websocket.DialOptions{HTTPClient: smallBufferClient()})
				c.SetReadLimit(2 << 20)
				p := recv(t, opened, "Open")
				code := make(chan websocket.StatusCode, 1)
				if paused {
					// The client reads the head of a big message, so the
					// server is writing it, and stops reading.
					require.NoError(t, p.Send(bigMessage))
					ctx, cancel := context.WithTimeout(context.Background(), wait)
					_, r, err := c.Reader(ctx)
					require.NoError(t, err, "the big message's head")
					flood(t, p)
					go func() {
						defer cancel()
						if _, err := io.Copy(io.Discard, r); err != nil {
							code <- -1
							return
						}
						code <- readToEnd(c)
					}()
				} else {
					go func() { code <- readToEnd(c) }()
					flood(t, p)
				}
				got[recv(t, code, "the client's end")]++
				info := waitClose(t, closes).info
				require.Equal(t, anyws.StatusTryAgainLater, info.Code, "the Close hook: %+v", info)
				_ = c.CloseNow()
			}
			require.Equal(t, map[websocket.StatusCode]int{websocket.StatusTryAgainLater: rounds}, got,
				"close codes the client got in %d rounds (-1: the connection ended with no close frame)", rounds)
		})
	}
}

// TestOverflowNeverReads: a client that never reads again cannot learn
// anything; its peer still closes (1013) once the write blocked on it
// counts as stuck, well before the write deadline (10 s) would end it.
func TestOverflowNeverReads(t *testing.T) {
	t.Parallel()
	url, opened, closes := overflowServer(t, &wsadapter.Options{DisableCompression: true})
	c, _ := dial(t, url, &websocket.DialOptions{HTTPClient: smallBufferClient()})
	p := recv(t, opened, "Open")
	require.NoError(t, p.Send(bigMessage))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, _, err := c.Reader(ctx) // the big message is being written; never read on
	require.NoError(t, err, "the big message's head")
	flood(t, p)
	info := waitClose(t, closes).info
	require.Equal(t, anyws.StatusTryAgainLater, info.Code, "the Close hook: %+v", info)
	require.True(t, errors.Is(p.Send("late"), anyws.ErrClosed))
	_ = c.CloseNow()
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}
