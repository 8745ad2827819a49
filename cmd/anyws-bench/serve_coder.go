package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// coderImpl is the bare coder/websocket chat server, the way its own chat
// example does it: the handler reads, one goroutine per connection writes
// each queued message with its own Write under a timeout context. The
// queue is a buffered channel, closed on overflow (anyws's default policy).
type coderImpl struct {
	cfg  serverConfig
	done chan struct{}
	wg   sync.WaitGroup

	mu    sync.RWMutex
	conns map[*coderClient]struct{}
}

// coderClient is one connection's queue.
type coderClient struct {
	send     chan []byte
	kick     chan struct{} // closed when the queue overflowed
	kickOnce sync.Once
}

func newCoderImpl(cfg serverConfig) impl {
	return &coderImpl{cfg: cfg, done: make(chan struct{}), conns: make(map[*coderClient]struct{})}
}

// offer queues m without blocking; a full queue closes the client.
func (c *coderClient) offer(m []byte) {
	select {
	case c.send <- m:
	default:
		c.kickOnce.Do(func() { close(c.kick) })
	}
}

func (b *coderImpl) routes(mux *http.ServeMux) { mux.HandleFunc("/ws", b.serveWS) }

// fanOut queues m for every client but from.
func (b *coderImpl) fanOut(m []byte, from *coderClient) {
	b.mu.RLock()
	for c := range b.conns {
		if c != from {
			c.offer(m)
		}
	}
	b.mu.RUnlock()
}

func (b *coderImpl) publish(payload []byte) { b.fanOut(payload, nil) }

func (b *coderImpl) peers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.conns)
}

func (b *coderImpl) shutdown(ctx context.Context) { closeAndWait(ctx, b.done, &b.wg) }

// closeAndWait closes done and waits for wg, or ctx.
func closeAndWait(ctx context.Context, done chan struct{}, wg *sync.WaitGroup) {
	close(done)
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
}

func (b *coderImpl) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	b.wg.Add(1)
	defer b.wg.Done()
	c := &coderClient{send: make(chan []byte, b.cfg.queue), kick: make(chan struct{})}
	b.mu.Lock()
	b.conns[c] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case m := <-c.send:
				wctx, wcancel := context.WithTimeout(ctx, b.cfg.writeTimeout)
				err := conn.Write(wctx, websocket.MessageText, m)
				wcancel()
				if err != nil {
					_ = conn.CloseNow()
					return
				}
			case <-c.kick:
				_ = conn.CloseNow()
				return
			case <-b.done:
				_ = conn.CloseNow()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		c.offer(data)
		b.fanOut(data, c)
	}
	cancel()
	<-writerDone
	_ = conn.CloseNow()
}
