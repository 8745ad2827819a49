// Package testservers starts real redis-server, nats-server and nginx
// processes on free loopback ports for tests, and stops them at the
// test's cleanup.
// Nothing is mocked: the brokers and the proxy set-ups are tested against
// the servers users run. Start with [Redis], [NATS] or [Nginx].
//
// The binaries come from Debian's packages, which `make deps` installs. A
// test whose server cannot be started fails (it is not skipped: CI must
// run every broker and proxy test) with a message that says how to
// install it.
package testservers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is one server process on a fixed loopback port.
type Server struct {
	t    testing.TB
	name string
	bin  string
	args func(port int) []string
	port int
	log  string
	ping func(s *Server) error
	// tag names this server to its ping (nats-server's name), the same
	// across restarts.
	tag string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited and been waited for
}

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 20 * time.Second

// Redis starts redis-server with no persistence on a free port.
func Redis(t testing.TB) *Server {
	t.Helper()
	return start(t, "redis-server", "redis-server", func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"}
	}, pingRedis)
}

// RedisPersistent starts redis-server with an append-only file synced
// at every write, in a directory kept across Kill and Restart: a server
// killed with SIGKILL comes back with everything it acknowledged.
func RedisPersistent(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	return start(t, "redis-server", "redis-server", func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
			"--appendfsync", "always", "--dir", dir, "--protected-mode", "no"}
	}, pingRedis)
}

// NATS starts nats-server on a free port, with JetStream storing in a
// directory kept across Kill and Restart.
func NATS(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	tag := fmt.Sprintf("testservers-%d-%s", os.Getpid(), filepath.Base(dir))
	return start(t, "nats-server", "nats-server", func(port int) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir, "-n", tag}
	}, pingNATS(tag))
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's client URL: redis://... or nats://...
func (s *Server) URL() string {
	if s.name == "redis-server" {
		return "redis://" + s.Addr()
	}
	return "nats://" + s.Addr()
}

// Kill stops the server abruptly (SIGKILL) and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

// Restart starts the server again on the same port, after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	if err := s.launch(); err != nil {
		s.t.Fatalf("testservers: restart %s on port %d: %v", s.name, s.port, err)
	}
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func start(t testing.TB, name, bin string, args func(int) []string, ping func(*Server) error) *Server {
	t.Helper()
	path, err := lookPath(bin)
	if err != nil {
		t.Fatalf("testservers: %s is not installed, so the tests that need it cannot run: "+
			"run `make deps` (it installs Debian's redis-server, nats-server and nginx-light), "+
			"or install the Debian package %s yourself", bin, name)
	}
	s := &Server{t: t, name: name, bin: path, args: args, ping: ping,
		log: filepath.Join(t.TempDir(), name+".log")}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("testservers: find a free port: %v", err)
		}
		s.mu.Lock()
		last = s.launch()
		s.mu.Unlock()
		if last == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("testservers: start %s: %v", name, last)
	return nil
}

// lookPath finds bin on PATH or where Debian puts it (nats-server is in
// /usr/sbin, which a non-root PATH may lack).
func lookPath(bin string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"} {
		p := filepath.Join(dir, bin)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// launch starts the process and waits until it answers. Output goes to a
// file, shown when start fails. One goroutine waits for the process; it
// ends when the process does (Kill, at the test's cleanup).
func (s *Server) launch() error {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, s.args(s.port)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	done := make(chan struct{})
	s.done = done
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err = s.ping(s); err == nil {
			return nil
		}
		exited := false
		select {
		case <-done:
			exited = true
		default:
		}
		if exited || time.Now().After(deadline) {
			s.stopLocked()
			out, _ := os.ReadFile(s.log)
			return fmt.Errorf("%s did not answer on %s: %v; its output:\n%s", s.name, s.Addr(), err, tail(out))
		}
		<-tick.C
	}
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func dial(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	return c, bufio.NewReader(c), nil
}

// pingRedis checks that the server on s's port answers, and that it is
// s's process: when another test's server took the port between
// freePort and the launch, this one exits ("address in use") while
// that one answers, and the test would lose its broker when that one is
// stopped.
func pingRedis(s *Server) error {
	c, r, err := dial(s.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("PING\r\nINFO server\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New("unexpected answer " + strconv.Quote(line))
	}
	head, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if !strings.HasPrefix(head, "$") || err != nil {
		return errors.New("unexpected INFO answer " + strconv.Quote(head))
	}
	info := make([]byte, n)
	if _, err := io.ReadFull(r, info); err != nil {
		return err
	}
	want := "process_id:" + strconv.Itoa(s.cmd.Process.Pid) + "\r\n"
	if !strings.Contains(string(info), want) {
		return fmt.Errorf("another process answers on %s (not pid %d)", s.Addr(), s.cmd.Process.Pid)
	}
	return nil
}

// pingNATS checks that the server on s's port answers, and that it is
// the one named tag (see pingRedis).
func pingNATS(tag string) func(s *Server) error {
	return func(s *Server) error {
		c, r, err := dial(s.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "INFO ") {
			return errors.New("unexpected greeting " + strconv.Quote(line))
		}
		if !strings.Contains(line, `"server_name":"`+tag+`"`) {
			return fmt.Errorf("another server answers on %s (not %s)", s.Addr(), tag)
		}
		return nil
	}
}
