package main

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
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// server is a child process serving one implementation.
type server struct {
	impl  string
	info  implInfo
	addr  string // 127.0.0.1:port
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startServer runs this binary with -server cfg.impl and reads the
// address it listens on.
func startServer(cfg serverConfig) (*server, error) {
	info, err := lookupImpl(cfg.impl)
	if err != nil {
		return nil, err
	}
	if info.node != "" {
		return startNode(info)
	}
	args := []string{"-server", cfg.impl, "-queue", fmt.Sprint(cfg.queue), "-write-timeout", cfg.writeTimeout.String(), "-sndbuf", fmt.Sprint(cfg.sndbuf)}
	if cfg.brokerURL != "" {
		args = append(args, "-broker", cfg.brokerURL)
		if cfg.brokerHistory {
			args = append(args, "-broker-history")
		}
	}
	cmd, err := childCommand(args...)
	if err != nil {
		return nil, err
	}
	cmd, stdin, stdout, err := startCmd("server", pinned(cmd))
	if err != nil {
		return nil, err
	}
	return serverFrom(info, cmd, stdin, stdout)
}

// serverFrom reads the address a started child server prints first
// (killing the child if it prints none).
func serverFrom(info implInfo, cmd *exec.Cmd, stdin io.WriteCloser, stdout io.Reader) (*server, error) {
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil && !strings.HasPrefix(line, "127.0.0.1:") {
		err = fmt.Errorf("its first line is not an address: %q", strings.TrimSpace(line))
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("anyws-bench: server %s did not start: %w", info.name, err)
	}
	return &server{impl: info.name, info: info, addr: strings.TrimSpace(line), cmd: cmd, stdin: stdin}, nil
}

// startChild starts this binary with args as a child (what names it in
// an error).
func startChild(what string, args ...string) (*exec.Cmd, io.WriteCloser, io.ReadCloser, error) {
	cmd, err := childCommand(args...)
	if err != nil {
		return nil, nil, nil, err
	}
	return startCmd(what, cmd)
}

// startCmd starts cmd, a child: its stderr is the tool's, and it is
// talked to through its stdin and stdout.
func startCmd(what string, cmd *exec.Cmd) (*exec.Cmd, io.WriteCloser, io.ReadCloser, error) {
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fmt.Errorf("anyws-bench: start %s: %w", what, err)
	}
	return cmd, stdin, stdout, nil
}

// childEnv marks a child process of the tool. The tests' binary, which
// the tests start as a child, reads it in TestMain to run main instead
// of the tests.
const childEnv = "ANYWS_BENCH_CHILD"

// childCommand is this binary run with args as a child: it gets SIGKILL
// if the parent dies (a parent killed in the middle of a 100,000
// connection run leaves no node or client process behind).
func childCommand(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("anyws-bench: find own binary: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = childProcAttr()
	return cmd, nil
}

// stop asks the child to shut down and waits for it, killing it after a
// grace period.
func (s *server) stop() {
	if s.cmd == nil {
		return // in-process (the tests): its owner stops it
	}
	_ = s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) url(scheme, path string) string { return scheme + "://" + s.addr + path }

// stats asks the child for its memory and peer count; gc first runs a
// full collection and returns freed memory to the OS.
func (s *server) stats(gc bool) (serverStats, error) {
	u := s.url("http", "/stats")
	if gc {
		u += "?gc=1"
	}
	resp, err := controlClient.Get(u)
	if err != nil {
		return serverStats{}, err
	}
	defer resp.Body.Close()
	var st serverStats
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// publish makes the server publish n events of size bytes at rate per
// second (0: at once), returning when it has.
func (s *server) publish(n, size int, rate float64) error {
	resp, err := controlClient.Post(s.url("http", fmt.Sprintf("/publish?n=%d&size=%d&rate=%g", n, size, rate)), "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("anyws-bench: publish: %s: %s", resp.Status, b)
	}
	return nil
}

// waitPeers waits until the server counts want peers, or timeout.
func (s *server) waitPeers(want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := s.stats(false)
		if err == nil && st.Peers == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("anyws-bench: %s server has %d peers, want %d", s.impl, st.Peers, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var controlClient = &http.Client{Timeout: 5 * time.Minute}

// sourceAddrs spreads client connections over 127.0.0.2…127.0.0.65, so
// a hundred thousand connections (and their TIME_WAIT) never exhaust the
// ephemeral ports of one source address (about 28,000 each).
// A client process of the multi-node huge run (huge_client.go) sets its
// own block of them.
var sourceAddrs = loopbackSources(2, 64)

var nextSource atomic.Uint64

// dialLoopback dials addr from the next 127.0.0.x source address. Only
// loopback destinations are allowed: the tool never leaves the machine.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	return dialLoopbackWith(ctx, network, addr, nil)
}

// netConn names net.Conn where a dial function's type is spelled out.
type netConn = net.Conn

// dialLoopbackWith is dialLoopback with a hook on the socket before it
// connects (to set buffer sizes).
func dialLoopbackWith(ctx context.Context, network, addr string, setup func(fd uintptr)) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("anyws-bench: refusing to dial %s: loopback only", addr)
	}
	d := net.Dialer{LocalAddr: sourceAddrs[nextSource.Add(1)%uint64(len(sourceAddrs))]}
	if setup != nil {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(setup)
		}
	}
	return d.DialContext(ctx, network, addr)
}

// newClient is an HTTP client for many long-lived streams.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         dialLoopback,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}}
}

// dialWS opens one WebSocket client connection.
func dialWS(ctx context.Context, hc *http.Client, url string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	return c, nil
}

// raiseFileLimit lifts RLIMIT_NOFILE so 10,000 connections per process
// fit; children inherit it.
func raiseFileLimit(want uint64) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return
	}
	if lim.Cur >= want {
		return
	}
	raised := lim
	raised.Cur = want
	raised.Max = max(lim.Max, want) // above the hard limit needs CAP_SYS_RESOURCE
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
		return
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// fileLimit is the current RLIMIT_NOFILE soft limit.
func fileLimit() uint64 {
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}
