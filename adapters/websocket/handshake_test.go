package websocket_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestHandshakeCutAfterHijack: a client whose connection fails while
// the 101 is written (it went away right after asking) costs no log
// line. Before, coder/websocket answered the failed hijack with a 500
// on the connection net/http no longer owned, and net/http logged two
// "on hijacked connection" lines per such client (a full-size fault run
// printed dozens).
func TestHandshakeCutAfterHijack(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	var logs lockedBuffer
	handler := wsadapter.New(hub, nil)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(failingHijack{w}, r)
	}))
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.Error(t, err, "the server could not write the 101")
	srv.Close() // its handlers have returned: what they logged is in
	require.NotContains(t, logs.String(), "hijacked connection")
}

// failingHijack hands out connections whose writes fail: the client
// left before the 101.
type failingHijack struct{ http.ResponseWriter }

func (f failingHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(f.ResponseWriter).Hijack()
	return failingWrites{c}, brw, err
}

type failingWrites struct{ net.Conn }

func (failingWrites) Write([]byte) (int, error) { return 0, errors.New("test: the client went away") }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
