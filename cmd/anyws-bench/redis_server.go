package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// redisServer is a redis-server the multi-node huge run starts for its
// nodes' broker: loopback only, nothing saved to disk.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited and been waited for
}

// errNoRedis says what to do when redis-server is not installed.
var errNoRedis = errors.New("anyws-bench: the multi-node huge run needs redis-server on PATH for its nodes' broker: run `make deps` (Debian's redis-server package)")

// startRedis starts redis-server on a free loopback port and waits until
// it answers PING. It gets SIGKILL if this process dies: no redis-server
// outlives the run.
func startRedis(ctx context.Context) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--loglevel", "warning")
	// Its log (startup banner, warnings about this sandbox's kernel
	// settings) is shown only when it fails to start.
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("anyws-bench: start redis-server: %w", err)
	}
	r := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		err := pingRedis(r.addr)
		if err == nil {
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("anyws-bench: redis-server on %s exited before answering: %v; its output:\n%s", r.addr, err, log.Bytes())
		case <-ctx.Done():
			r.stop()
			return nil, fmt.Errorf("anyws-bench: redis-server on %s did not answer: %v; its output:\n%s", r.addr, err, log.Bytes())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *redisServer) url() string { return "redis://" + r.addr }

// stop kills redis-server and waits for it: it holds nothing to keep.
func (r *redisServer) stop() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("anyws-bench: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
