package main_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// buildTimeout bounds "go build" of the program, slow on a busy machine.
const buildTimeout = 3 * time.Minute

// freePort returns a port free on both 127.0.0.1 and [::1] a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln6, err := net.Listen("tcp", "[::1]:"+port)
		require.NoError(t, ln.Close())
		if err == nil {
			require.NoError(t, ln6.Close())
			return port
		}
	}
	require.FailNow(t, "no port free on both 127.0.0.1 and [::1]")
	return ""
}

// TestBinary runs the real program: it must serve the same demo on
// 127.0.0.1 and [::1] at PORT, and exit 0 on SIGTERM after closing its
// peers with 1001.
func TestBinary(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "crossws-demo")
	buildCtx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(buildCtx, "go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	ctx := ctxT(t)

	port := freePort(t)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "PORT="+port)
	cmd.Stderr = os.Stderr
	firstLine := &firstLineWriter{line: make(chan string, 1)}
	cmd.Stdout = firstLine
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op once it has exited
		<-exited
		close(exited)
	})
	select {
	case line := <-firstLine.line:
		require.Contains(t, line, "listening on http://localhost:"+port+"/")
	case <-ctx.Done():
		require.FailNow(t, "the program printed nothing")
	}

	var conns []*websocket.Conn
	for _, tc := range []struct{ host, remote string }{
		{"127.0.0.1:" + port, "127.0.0.1"},
		{"[::1]:" + port, "::1"},
	} {
		resp, body := get(t, "http://"+tc.host+"/peers", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)

		c := dialWS(t, "ws://"+tc.host+"/?foo=bar", nil)
		d := c.debug()
		require.Equal(t, tc.remote, d.RemoteAddress)
		require.Equal(t, "http://"+tc.host+"/?foo=bar", d.Request.URL)
		conns = append(conns, c.conn)
	}
	// One Hub behind both listeners: the second peer joined the first's chat.
	require.Len(t, peersList(t, &server{host: "127.0.0.1:" + port}), 2)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	for _, conn := range conns {
		for {
			_, _, err := conn.Read(ctx)
			if err != nil {
				require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
				break
			}
		}
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			require.FailNow(t, "the program did not exit cleanly", "%v", err)
		}
		require.NoError(t, err)
	case <-ctx.Done():
		require.FailNow(t, "the program did not exit after SIGTERM")
	}
	_, err = net.Dial("tcp", "127.0.0.1:"+port)
	require.Error(t, err, "nothing listens after exit")
}

// firstLineWriter is a command's stdout that hands over its first line.
type firstLineWriter struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (w *firstLineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.line <- string(w.buf[:i])
			w.sent = true
		}
	}
	return len(p), nil
}
