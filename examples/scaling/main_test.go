package main

import (
	"bufio"
	"context"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain runs the example's main instead of the tests when TestSIGTERM
// starts this binary as a node.
func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

const asMain = "SCALING_TEST_AS_MAIN"

// TestSIGTERM starts a node as its own process and stops it the way
// process managers do: SIGTERM closes its peers with a close frame and it
// exits with status 0.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	rds := testservers.Redis(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	cmd := exec.Command(os.Args[0], "-addr", ln.Addr().String(), "-redis", rds.URL())
	cmd.Env = append(os.Environ(), asMain+"=1")
	logs, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), " on http://"); ok {
				a, _, _ := strings.Cut(rest, " ")
				addr <- a
			}
		}
		exited <- cmd.Wait() // after the pipe's EOF, as Wait requires
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var a string
	select {
	case a = <-addr:
	case err := <-exited:
		exited <- err
		require.FailNow(t, "the node exited before it listened", "%v", err)
	case <-ctx.Done():
		require.FailNow(t, "the node did not log its address")
	}
	c, _, err := ws.Dial(ctx, "ws://"+a+"/_ws", nil)
	require.NoError(t, err)
	defer c.CloseNow()

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_, _, err = c.Read(ctx)
	require.NotEqual(t, ws.StatusCode(-1), ws.CloseStatus(err), "the peer gets a close frame, not a dropped connection: %v", err)
	select {
	case err := <-exited:
		exited <- err
		require.NoError(t, err, "the node exits cleanly on SIGTERM")
	case <-ctx.Done():
		require.FailNow(t, "the node did not exit after SIGTERM")
	}
}

// TestTwoNodes runs the example as documented: two nodes on one Redis, a
// WebSocket client on the first, an SSE client on the second.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rds := testservers.Redis(t)
	var urls []string
	for range 2 {
		hub, h, err := newNode(rds.URL(), t.Logf)
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(func() {
			_ = hub.Shutdown(context.Background())
			srv.Close()
		})
		urls = append(urls, srv.URL)
	}
	wsc, _, err := ws.Dial(ctx, strings.Replace(urls[0], "http", "ws", 1)+"/_ws", nil)
	require.NoError(t, err)
	defer wsc.CloseNow()
	ssec, _, err := websocketsse.Dial(ctx, urls[1]+"/_sse", nil)
	require.NoError(t, err)
	defer ssec.CloseNow()

	// Subscriptions reach Redis asynchronously: send until the other
	// node's client hears one (at most once: earlier ones may be lost).
	got := make(chan string, 1)
	go func() {
		for {
			_, b, err := ssec.Read(ctx)
			if err != nil {
				close(got)
				return
			}
			if string(b) == "hello from node 1" {
				got <- string(b)
				return
			}
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		require.NoError(t, wsc.Write(ctx, ws.MessageText, []byte("hello from node 1")))
		select {
		case m, ok := <-got:
			require.True(t, ok, "the SSE client's stream ended")
			require.Equal(t, "hello from node 1", m)
			_ = ssec.CloseNow()
			return
		case <-tick.C:
		case <-ctx.Done():
			require.FailNow(t, "the message never crossed nodes")
		}
	}
}
