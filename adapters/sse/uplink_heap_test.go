package sse_test

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"testing"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestIdleRawUplinkHeap reports the heap an idle raw streaming uplink
// holds on the server: n chunked POSTs that sent one chunk each and wait.
// The clients are bare TCP connections, so the figure is the server's.
// It asserts nothing about the figure (a measurement, not a timed test);
// it is not parallel so that other tests do not skew it.
func TestIdleRawUplinkHeap(t *testing.T) {
	const n = 200
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	u, err := url.Parse(e.url)
	require.NoError(t, err)
	toks := make([]string, n)
	for i := range toks {
		toks[i] = open(t, e.client, e.url).token(t)
	}
	before := heapInUse()
	for _, tok := range toks {
		conn, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nX-Crossws-Id: %s\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n", u.RequestURI(), u.Host, tok)
		require.NoError(t, err)
	}
	for range n {
		require.Equal(t, "x", e.rec.msg(t).Text())
	}
	after := heapInUse()
	t.Logf("heap per idle raw streaming uplink (HTTP/1.1, server side): %.1f KiB (%d uplinks)", float64(after-before)/n/1024, n)
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
