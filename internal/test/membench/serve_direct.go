package membench

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// directServer is the simplest hand-written chat server, the floor for
// the chat room's peak memory: no queue at all, each connection's
// handler reads a message and writes it to every connection itself
// (coder/websocket's Write is safe for concurrent use), so a slow
// reader slows the senders (back-pressure through TCP) instead of
// growing memory. WebSocket only.
type directServer struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.RWMutex
	ws   map[*websocket.Conn]struct{}
}

func newDirectServer() *directServer {
	return &directServer{done: make(chan struct{}), ws: map[*websocket.Conn]struct{}{}}
}

func (d *directServer) mount(mux *http.ServeMux) { mux.HandleFunc("/ws", d.serveWS) }

func (d *directServer) peers() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.ws)
}

func (d *directServer) shutdown(ctx context.Context) {
	close(d.done)
	d.mu.RLock()
	for c := range d.ws {
		_ = c.CloseNow()
	}
	d.mu.RUnlock()
	ended := make(chan struct{})
	go func() { d.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
}

func (d *directServer) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	d.wg.Add(1)
	defer d.wg.Done()
	d.mu.Lock()
	d.ws[conn] = struct{}{}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.ws, conn)
		d.mu.Unlock()
		_ = conn.CloseNow()
	}()
	var to []*websocket.Conn
	for {
		_, data, err := conn.Read(context.Background())
		if err != nil {
			return
		}
		to = to[:0]
		d.mu.RLock()
		for c := range d.ws {
			to = append(to, c)
		}
		d.mu.RUnlock()
		for _, c := range to {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if c.Write(ctx, websocket.MessageText, data) != nil {
				_ = c.CloseNow()
			}
			cancel()
		}
	}
}
