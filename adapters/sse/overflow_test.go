package sse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
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

// bigMessage is larger than the socket buffers and an HTTP/2 client's
// flow-control window hold (see smallClientBuffers), so a write of it
// cannot finish until the client reads; an empty queue takes it whatever
// its bound.
var bigMessage = strings.Repeat("y", 256<<10)

// smallClientBuffers makes hc read through a small socket buffer
// (HTTP/1.1) or flow-control window (HTTP/2).
func smallClientBuffers(hc *http.Client, m mode) {
	tr := hc.Transport.(*http.Transport)
	if m != h1 {
		tr.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerConnection: 64 << 10, MaxReceiveBufferPerStream: 64 << 10}
		return
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(smallBuffers)
		}
		return c, err
	}
}

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

// readUntil reads r until what it read contains s, and returns it.
func readUntil(t *testing.T, r io.Reader, s string) []byte {
	t.Helper()
	var buf []byte
	b := make([]byte, 512)
	for !bytes.Contains(buf, []byte(s)) {
		n, err := r.Read(b)
		buf = append(buf, b[:n]...)
		require.NoError(t, err, "reading until %q; read %q", s, buf)
	}
	return buf
}

// closeCode reads an event stream to its end and returns the code of its
// close event, -1 if it ended without one.
func closeCode(body io.Reader) int {
	p := sse.NewParser(body, 2<<20)
	for {
		ev, err := p.Next()
		if err != nil {
			return -1
		}
		if ev.Type == "close" {
			var v struct{ Code int }
			if json.Unmarshal(ev.Data, &v) != nil {
				return -1
			}
			return v.Code
		}
	}
}

// TestOverflowCloseReachesClient: a peer closed because its queue
// overflowed tells its client why (event: close, 1013), whenever the
// client reads again (issue 16 item 7). Over bounded rounds: a client
// that stops reading while a big message is being written to it and
// resumes once the queue overflowed, and one that reads all along but
// slower than the server sends. The overflow used to
// abort the write in progress, so an HTTP/1.1 stream ended without
// event: close.
func TestOverflowCloseReachesClient(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		for _, paused := range []bool{true, false} {
			name := string(m) + "/reading"
			if paused {
				name = string(m) + "/paused"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envConfig{mode: m, hub: &anyws.Options{QueueBytes: 64 << 10}, start: func(l net.Listener) net.Listener {
					return smallBufferListener{l}
				}})
				smallClientBuffers(e.client, m)
				const rounds = 10
				got := map[int]int{}
				for range rounds {
					ctx, cancel := context.WithTimeout(context.Background(), wait)
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
					require.NoError(t, err)
					req.Header.Set("Accept", "text/event-stream")
					resp, err := e.client.Do(req)
					require.NoError(t, err)
					p := e.rec.peer(t)
					code := make(chan int, 1)
					if paused {
						// The client reads the head of a big message, so
						// the server is writing it, and stops reading.
						require.NoError(t, p.Send(bigMessage))
						head := readUntil(t, resp.Body, "data: yyyy")
						flood(t, p)
						go func() { code <- closeCode(io.MultiReader(bytes.NewReader(head), resp.Body)) }()
					} else {
						go func() { code <- closeCode(resp.Body) }()
						flood(t, p)
					}
					got[recv(t, code, "the stream's end")]++
					_ = resp.Body.Close()
					cancel()
					info := e.rec.close(t).info
					require.Equal(t, anyws.StatusTryAgainLater, info.Code, "the Close hook: %+v", info)
				}
				require.Equal(t, map[int]int{1013: rounds}, got,
					"close codes the client got in %d rounds (-1: the stream ended without event: close)", rounds)
			})
		}
	}
}

// TestOverflowNeverReads: a client that never reads again cannot learn
// anything; its peer still closes (1013) once the write blocked on it
// counts as stuck, well before the write deadline (10 s) would end it.
func TestOverflowNeverReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{mode: h1, hub: &anyws.Options{QueueBytes: 64 << 10},
		start: func(l net.Listener) net.Listener { return smallBufferListener{l} }})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	p := e.rec.peer(t)
	require.NoError(t, p.Send(bigMessage))
	readUntil(t, resp.Body, "data: yyyy") // the big message is being written; never read on
	flood(t, p)
	info := e.rec.close(t).info
	require.Equal(t, anyws.StatusTryAgainLater, info.Code, "the Close hook: %+v", info)
	require.True(t, errors.Is(p.Send("late"), anyws.ErrClosed))
}
