package membench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// child is a server process started by startChild.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	hc    *http.Client
}

// startChild re-executes the test binary as a server of kind, with a
// queue bound of queue messages (0: the default).
func startChild(tb testing.TB, kind string, queue int) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+kind)
	if queue > 0 {
		cmd.Env = append(cmd.Env, queueEnv+"="+strconv.Itoa(queue))
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, hc: &http.Client{Timeout: 30 * time.Second}}
	tb.Cleanup(c.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("membench: reading the %s server's address: %v", kind, err)
	}
	c.addr = strings.TrimSpace(line)
	return c
}

func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	c.hc.CloseIdleConnections()
}

// stats asks the child for its Go runtime figures; gc forces a full GC
// and returns freed memory to the OS first.
func (c *child) stats(tb testing.TB, gc bool, profile string) stats {
	tb.Helper()
	q := ""
	if gc {
		q = "gc=1"
	}
	if profile != "" {
		q += "&profile=" + profile
	}
	resp, err := c.hc.Get("http://" + c.addr + "/stats?" + q)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var s stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// profile asks the child to write a heap profile named name (when
// MEMBENCH_PROFILE is set), from any goroutine.
func (c *child) profile(name string) {
	resp, err := c.hc.Get("http://" + c.addr + "/stats?profile=" + name)
	if err == nil {
		_ = resp.Body.Close()
	}
}

// status reads VmRSS and VmHWM of the child, in bytes.
func (c *child) status(tb testing.TB) (rss, hwm int64) {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm
}

// waitPeers waits until the child counts n peers.
func (c *child) waitPeers(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := c.stats(tb, false, "")
		if s.Peers == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("membench: waited 2 minutes for %d peers, the server has %d", n, s.Peers)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var nextSource atomic.Uint32

// dialLoopback spreads connections over 127.0.0.2-17, so that repeated
// runs never run short of ports.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	ip := net.IPv4(127, 0, 0, byte(2+nextSource.Add(1)%16))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	return d.DialContext(ctx, network, addr)
}
