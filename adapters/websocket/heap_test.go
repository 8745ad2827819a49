package websocket_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/stretchr/testify/require"
)

// idleConnHeap opens n idle WebSocket connections to a Hub with the
// defaults (raw clients that sent their handshake and read the 101) and
// returns the heap they hold, per connection, after a GC: the server's
// whole side (net/http's request, coder/websocket's Conn, the adapter's
// peerConn, the peer) and the client's socket (about 0.3 KiB).
func idleConnHeap(t *testing.T, n int) float64 {
	hub := anyws.New(anyws.Hooks{}, nil)
	srv := httptest.NewServer(wsadapter.New(hub, &wsadapter.Options{DisableCompression: true}))
	host := strings.TrimPrefix(srv.URL, "http://")
	req := fmt.Appendf(nil, "GET /chat HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", host)
	conns := make([]net.Conn, 0, n)
	// Everything ends before the next try measures.
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
		_ = hub.Close()
		srv.Close()
		require.Eventually(t, func() bool { return hub.Stats().Peers == 0 && !wsadapter.PollerRunning() }, wait, time.Millisecond)
	}()
	buf := make([]byte, 512)
	before := heapAfterGC()
	for range n {
		c, err := net.DialTimeout("tcp", host, wait)
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = c.Write(req)
		require.NoError(t, err)
		_ = c.SetReadDeadline(time.Now().Add(wait))
		var got []byte
		for !bytes.Contains(got, []byte("\r\n\r\n")) {
			k, err := c.Read(buf)
			require.NoError(t, err)
			got = append(got, buf[:k]...)
		}
		require.True(t, bytes.HasPrefix(got, []byte("HTTP/1.1 101 ")), "%q", got)
	}
	require.Eventually(t, func() bool { return hub.Stats().Peers == n }, wait, time.Millisecond)
	if runtime.GOOS == "linux" {
		require.Eventually(t, func() bool { return wsadapter.PollerConns() == n }, wait, time.Millisecond, "waiting for every connection to park")
	}
	after := heapAfterGC()
	return float64(int64(after)-int64(before)) / float64(n)
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestIdleConnHeap guards what an idle WebSocket connection holds on the
// heap (issue 15). Not parallel: it measures the process's heap. The
// bound is Linux's, where an idle connection parks without a goroutine
// (elsewhere each keeps its reader's, whose g record is on the heap).
func TestIdleConnHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	// About 4,720 bytes when measured (4,750 under -race; Linux, Go 1.26;
	// runs agree within 40 bytes): 5,150 before the peerConn held
	// the connection's parts (160 bytes less) and the peer kept its
	// request over a small context (about 300 less; request.go). The
	// bound fails if either comes back. The least of three tries, so
	// that a map growing at the wrong moment does not fail it.
	const bound = 4850
	per := idleConnHeap(t, 1000)
	for try := 1; try < 3 && per > bound; try++ {
		per = min(per, idleConnHeap(t, 1000))
	}
	t.Logf("%.0f bytes of heap per idle connection", per)
	if per > bound && runtime.GOOS == "linux" {
		t.Errorf("an idle WebSocket connection holds %.0f bytes of heap, more than %d", per, bound)
	}
}
