package websocket_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// stream sends to p until it closes, draining after every burst so the
// queue never overflows: the server is always writing batches.
func stream(p *anyws.Peer) {
	msg := strings.Repeat("x", 200)
	for {
		for range 64 {
			if p.Send(msg) != nil {
				return
			}
		}
		if p.Drain(p.Context()) != nil {
			return
		}
	}
}

// A client's close handshake is answered while the server streams, and the
// Close hook sees the client's code (issue 16, item 3): the close reply
// used to land in the open batch, and the socket was closed before the
// batch was flushed.
func TestClientCloseWhileStreaming(t *testing.T) {
	t.Parallel()
	url, _, closes := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) { go stream(p) },
	}, &wsadapter.Options{DisableCompression: true})
	const rounds = 60
	answered, codes := 0, map[anyws.StatusCode]int{}
	var failures []string
	for i := range rounds {
		c, _ := dial(t, url, nil)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		for range 3 { // the stream has started
			_, _, err := c.Read(ctx)
			require.NoError(t, err)
		}
		cancel()
		err := c.Close(websocket.StatusNormalClosure, fmt.Sprint("bye ", i))
		if err == nil {
			answered++
		} else {
			failures = append(failures, err.Error())
		}
		info := waitClose(t, closes).info
		codes[info.Code]++
		if info.Code != anyws.StatusNormalClosure {
			failures = append(failures, info.String())
		}
	}
	require.Equal(t, rounds, answered, "close handshakes answered; failures: %q", failures)
	require.Equal(t, map[anyws.StatusCode]int{anyws.StatusNormalClosure: rounds}, codes, "Close hook codes; failures: %q", failures)
}

// Peer.Close while the client sends pings delivers every message and the
// close frame (issue 16, item 4): the server used to close its socket
// with the client's frames unread, and the kernel's RST cut off what the
// client had not read yet.
func TestServerCloseWhileClientPings(t *testing.T) {
	t.Parallel()
	const n = 200
	url, _, closes := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) {
			for i := range n {
				_ = p.Send(fmt.Sprint(i))
			}
			_ = p.Close(4002, "done")
		},
	}, &wsadapter.Options{DisableCompression: true})
	const rounds = 40
	var failures []string
	for i := range rounds {
		c, _ := dial(t, url, nil)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		pingCtx, stopPings := context.WithCancel(ctx)
		pinged := make(chan struct{})
		go func() {
			defer close(pinged)
			for pingCtx.Err() == nil {
				if c.Ping(pingCtx) != nil {
					return
				}
			}
		}()
		got := 0
		var err error
		for {
			if _, _, err = c.Read(ctx); err != nil {
				break
			}
			got++
		}
		stopPings()
		<-pinged
		cancel()
		var ce websocket.CloseError
		if got != n || !errors.As(err, &ce) || ce.Code != 4002 {
			failures = append(failures, fmt.Sprintf("round %d: %d of %d messages, then %v", i, got, n, err))
		}
		require.Equal(t, anyws.StatusCode(4002), waitClose(t, closes).info.Code)
	}
	require.Empty(t, failures)
}

// The same with a client that pings without waiting for pongs and reads
// slowly, until it has read the close frame.
func TestServerCloseWhileRawClientPings(t *testing.T) {
	t.Parallel()
	const n = 300
	url, _, closes := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) {
			for i := range n {
				_ = p.Send(fmt.Sprint(i, strings.Repeat("y", 100)))
			}
			_ = p.Close(4002, "done")
		},
	}, &wsadapter.Options{DisableCompression: true})
	const rounds = 40
	var failures []string
	for i := range rounds {
		c := dialRaw(t, url)
		stop := make(chan struct{})
		pinged := make(chan struct{})
		go func() {
			defer close(pinged)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c.writeFrame(0x9, []byte("p")) != nil {
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()
		got, code := 0, uint16(0)
		var err error
		for {
			var op byte
			var payload []byte
			if op, payload, err = c.readFrame(); err != nil {
				break
			}
			if op == 0x1 {
				got++
				if got%50 == 0 {
					time.Sleep(time.Millisecond) // a slow reader
				}
			}
			if op == 0x8 {
				code = binary.BigEndian.Uint16(payload)
				close(stop)
				<-pinged
				_ = c.writeFrame(0x8, payload)
				break
			}
		}
		if code == 0 {
			close(stop)
			<-pinged
		}
		if got != n || code != 4002 {
			failures = append(failures, fmt.Sprintf("round %d: %d of %d messages, close %d, %v", i, got, n, code, err))
		}
		require.Equal(t, anyws.StatusCode(4002), waitClose(t, closes).info.Code)
		_ = c.conn.Close()
	}
	require.Empty(t, failures)
}
