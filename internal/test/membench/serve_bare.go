package membench

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// bareServer is the control: what a Go programmer writes by hand, as
// cmd/anyws-bench's bare server does. WebSocket: coder/websocket, the
// handler reads, one goroutine writes each queued message; SSE: the
// handler drains its channel, writes pre-encoded frames and flushes once
// per batch. Each connection's queue is a buffered channel of queue
// messages, closed on overflow.
type bareServer struct {
	queue int
	done  chan struct{}
	wg    sync.WaitGroup

	mu  sync.RWMutex
	ws  map[*bareClient]struct{}
	sse map[*bareClient]struct{}
}

type bareClient struct {
	send     chan []byte
	kick     chan struct{}
	kickOnce sync.Once
}

func newBareServer(queue int) *bareServer {
	return &bareServer{queue: queue, done: make(chan struct{}), ws: map[*bareClient]struct{}{}, sse: map[*bareClient]struct{}{}}
}

func (c *bareClient) offer(m []byte) {
	select {
	case c.send <- m:
	default:
		c.kickOnce.Do(func() { close(c.kick) })
	}
}

func (b *bareServer) mount(mux *http.ServeMux) {
	mux.HandleFunc("/ws", b.serveWS)
	mux.HandleFunc("GET /sse", b.serveSSE)
}

func (b *bareServer) peers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.ws) + len(b.sse)
}

func (b *bareServer) shutdown(ctx context.Context) {
	close(b.done)
	ended := make(chan struct{})
	go func() { b.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
}

func (b *bareServer) join(set map[*bareClient]struct{}) *bareClient {
	c := &bareClient{send: make(chan []byte, b.queue), kick: make(chan struct{})}
	b.mu.Lock()
	set[c] = struct{}{}
	b.mu.Unlock()
	return c
}

func (b *bareServer) leave(set map[*bareClient]struct{}, c *bareClient) {
	b.mu.Lock()
	delete(set, c)
	b.mu.Unlock()
}

func (b *bareServer) fanOut(set map[*bareClient]struct{}, m []byte, from *bareClient) {
	b.mu.RLock()
	for c := range set {
		if c != from {
			c.offer(m)
		}
	}
	b.mu.RUnlock()
}

func (b *bareServer) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	b.wg.Add(1)
	defer b.wg.Done()
	c := b.join(b.ws)
	defer b.leave(b.ws, c)
	ctx, cancel := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case m := <-c.send:
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
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
		b.fanOut(b.ws, data, c)
	}
	cancel()
	<-writerDone
	_ = conn.CloseNow()
}

func (b *bareServer) serveSSE(w http.ResponseWriter, r *http.Request) {
	b.wg.Add(1)
	defer b.wg.Done()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	c := b.join(b.sse)
	defer b.leave(b.sse, c)
	for {
		select {
		case m := <-c.send:
			ev, _ := sse.AppendEvent(nil, sse.Event{Type: "message", Data: m})
			if _, err := w.Write(ev); err != nil {
				return
			}
			for n := len(c.send); n > 0; n-- {
				ev, _ = sse.AppendEvent(ev[:0], sse.Event{Type: "message", Data: <-c.send})
				if _, err := w.Write(ev); err != nil {
					return
				}
			}
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if rc.Flush() != nil {
				return
			}
		case <-c.kick:
			return
		case <-b.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}
