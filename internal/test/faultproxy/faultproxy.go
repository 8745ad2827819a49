// Package faultproxy is a loopback TCP proxy for fault-injection tests:
// it forwards connections to a target and cuts them on demand or at
// random intervals, as proxies, load balancers and mobile networks do.
package faultproxy

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Proxy forwards connections from its own loopback address to a target
// (or, balancing, to each of its targets in turn).
type Proxy struct {
	ln      net.Listener
	targets []string
	next    int // the target of the next connection

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	cuts  int
	done  bool

	wg   sync.WaitGroup
	stop chan struct{}
}

// Start listens on a free loopback port and forwards to target.
func Start(target string) (*Proxy, error) { return listen("127.0.0.1:0", target) }

// StartOn listens on addr and forwards to target: a proxy Closed and
// started again on its address is a network that went away and came
// back for the clients behind it only.
func StartOn(addr, target string) (*Proxy, error) { return listen(addr, target) }

// StartBalancer listens on a free loopback port and forwards each new
// connection to the next of targets, round robin: a load balancer
// without sticky sessions, so a client's reconnect lands on another
// node.
func StartBalancer(targets ...string) (*Proxy, error) { return listen("127.0.0.1:0", targets...) }

func listen(addr string, targets ...string) (*Proxy, error) {
	if len(targets) == 0 {
		return nil, errors.New("faultproxy: no target")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, targets: targets, conns: make(map[net.Conn]struct{}), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		target := p.targets[p.next%len(p.targets)]
		p.next++
		up, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			return
		}
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies one direction; when it ends, both sides are closed (a cut
// looks like a reset or EOF to each end).
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every connection through the proxy now. It returns how many
// client connections it cut.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns) / 2
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, as a dropped NAT entry or a killed proxy gives
		}
		_ = c.Close()
	}
	if n > 0 {
		p.cuts++
	}
	return n
}

// Cuts is how many times Cut found connections to cut.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// CutRandomly cuts every connection at random intervals between min and
// max until Close.
func (p *Proxy) CutRandomly(min, max time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			d := min + rand.N(max-min+1)
			select {
			case <-p.stop:
				return
			case <-time.After(d):
				p.Cut()
			}
		}
	}()
}

// Close stops the proxy, cuts its connections and waits for its
// goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return errors.New("faultproxy: closed twice")
	}
	p.done = true
	p.mu.Unlock()
	close(p.stop)
	err := p.ln.Close()
	p.Cut()
	p.wg.Wait()
	return err
}
