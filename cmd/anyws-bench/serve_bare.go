package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// bareImpl is the control: what a Go programmer writes by hand with
// coder/websocket and net/http, the way the libraries' own examples do
// it. Each connection has a buffered channel as its queue (closed
// on overflow, as anyws's default policy does); WebSocket writes one
// message per Write, SSE writes pre-encoded frames and flushes once per
// drained batch. The bidirectional SSE route speaks crossws's protocol
// (crossws-id event, x-crossws-id uplink POSTs, framed streaming uplink),
// so the same clients drive both implementations.
type bareImpl struct {
	cfg  serverConfig
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex
	ws     map[*bareClient]struct{}
	sse    map[*bareClient]struct{}
	tokens map[string]*bareClient
}

// bareClient is one connection's queue.
type bareClient struct {
	send     chan []byte
	kick     chan struct{} // closed when the queue overflowed
	kickOnce sync.Once
}

func newBareImpl(cfg serverConfig) *bareImpl {
	return &bareImpl{
		cfg: cfg, done: make(chan struct{}),
		ws: make(map[*bareClient]struct{}), sse: make(map[*bareClient]struct{}),
		tokens: make(map[string]*bareClient),
	}
}

func (b *bareImpl) newClient() *bareClient {
	return &bareClient{send: make(chan []byte, b.cfg.queue), kick: make(chan struct{})}
}

// offer queues m without blocking; a full queue closes the client.
func (c *bareClient) offer(m []byte) {
	select {
	case c.send <- m:
	default:
		c.kickOnce.Do(func() { close(c.kick) })
	}
}

func (b *bareImpl) routes(mux *http.ServeMux) {
	mux.HandleFunc("/ws", b.serveWS)
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) { b.serveSSE(w, r, false) })
	mux.HandleFunc("GET /bsse", func(w http.ResponseWriter, r *http.Request) { b.serveSSE(w, r, true) })
	mux.HandleFunc("POST /bsse", b.serveUplink)
}

// fanOut queues m for every client of set but from.
func (b *bareImpl) fanOut(set map[*bareClient]struct{}, m []byte, from *bareClient) {
	b.mu.RLock()
	for c := range set {
		if c != from {
			c.offer(m)
		}
	}
	b.mu.RUnlock()
}

func (b *bareImpl) publish(payload []byte) {
	b.fanOut(b.ws, payload, nil)
	b.fanOut(b.sse, encodeEvent(payload), nil)
}

func encodeEvent(payload []byte) []byte {
	ev, _ := sse.AppendEvent(make([]byte, 0, len(payload)+24), sse.Event{Type: "message", Data: payload})
	return ev
}

func (b *bareImpl) peers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.ws) + len(b.sse)
}

func (b *bareImpl) shutdown(ctx context.Context) {
	close(b.done)
	ended := make(chan struct{})
	go func() { b.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
}

func (b *bareImpl) join(set map[*bareClient]struct{}, c *bareClient, token string) {
	b.mu.Lock()
	set[c] = struct{}{}
	if token != "" {
		b.tokens[token] = c
	}
	b.mu.Unlock()
}

func (b *bareImpl) leave(set map[*bareClient]struct{}, c *bareClient, token string) {
	b.mu.Lock()
	delete(set, c)
	delete(b.tokens, token)
	b.mu.Unlock()
}

// serveWS is the classic coder/websocket chat: the handler reads, one
// goroutine writes each queued message with its own Write.
func (b *bareImpl) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	b.wg.Add(1)
	defer b.wg.Done()
	c := b.newClient()
	b.join(b.ws, c, "")
	defer b.leave(b.ws, c, "")
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
		b.fanOut(b.ws, data, c)
	}
	cancel()
	<-writerDone
	_ = conn.CloseNow()
}

// serveSSE is the classic net/http broadcaster: the handler writes
// pre-encoded frames, draining its channel, and flushes once per batch.
func (b *bareImpl) serveSSE(w http.ResponseWriter, r *http.Request, bidirectional bool) {
	b.wg.Add(1)
	defer b.wg.Done()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	var token string
	if bidirectional {
		var raw [16]byte
		_, _ = rand.Read(raw[:])
		token = hex.EncodeToString(raw[:])
		h.Set("X-Crossws-Id", token)
	}
	w.WriteHeader(http.StatusOK)
	if token != "" {
		ev, _ := sse.AppendEvent(nil, sse.Event{Type: "crossws-id", Data: []byte(token)})
		_, _ = w.Write(ev)
	}
	if rc.Flush() != nil {
		return
	}
	c := b.newClient()
	b.join(b.sse, c, token)
	defer b.leave(b.sse, c, token)
	for {
		select {
		case m := <-c.send:
			_ = rc.SetWriteDeadline(time.Now().Add(b.cfg.writeTimeout))
			_, err := w.Write(m)
		drain:
			for err == nil {
				select {
				case m := <-c.send:
					_, err = w.Write(m)
				default:
					break drain
				}
			}
			if err == nil {
				err = rc.Flush()
			}
			_ = rc.SetWriteDeadline(time.Time{})
			if err != nil {
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

// serveUplink takes a bidirectional client's messages: one per POST, or
// SSE events on a streaming POST (text/event-stream).
func (b *bareImpl) serveUplink(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	c := b.tokens[r.Header.Get("X-Crossws-Id")]
	b.mu.RUnlock()
	if c == nil {
		http.Error(w, "anyws: unknown x-crossws-id: open the stream first", http.StatusNotFound)
		return
	}
	deliver := func(data []byte) {
		ev := encodeEvent(data)
		c.offer(ev)
		b.fanOut(b.sse, ev, c)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
		p := sse.NewParser(r.Body, 1<<20)
		for {
			ev, err := p.Next()
			if err != nil {
				break
			}
			deliver(ev.Data)
		}
	} else {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "anyws: read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		deliver(data)
	}
	w.WriteHeader(http.StatusNoContent)
}
