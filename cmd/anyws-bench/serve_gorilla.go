package main

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// gorillaImpl is gorilla/websocket's chat example: one hub goroutine
// owns the client set and fans each message out to the clients' send
// channels (a full channel drops the client); per connection a read pump
// and a write pump. Pings every 54 s, read deadline 60 s, 512-byte read
// limit, 1 KiB buffers, as in the example; the queue bound and write
// timeout are the bench's, like every other implementation's.
//
// One change: the example's write pump joins every queued message into
// one WebSocket message, separated by '\n', which its own page splits.
// That is an application protocol of its own: crossws's clients, the
// chat-room benchmark's and every other client here count WebSocket
// messages, and would see one message where 640 were sent. So each
// queued message goes as its own WebSocket message, as every other
// implementation sends it, drained in the same loop.
type gorillaImpl struct {
	cfg        serverConfig
	upgrader   websocket.Upgrader
	clients    map[*gorillaClient]bool // owned by run
	broadcast  chan []byte
	register   chan *gorillaClient
	unregister chan *gorillaClient
	done       chan struct{}
	stopped    chan struct{}
	n          atomic.Int64
	wg         sync.WaitGroup
}

type gorillaClient struct {
	conn *websocket.Conn
	send chan []byte
}

const (
	gorillaPongWait       = 60 * time.Second
	gorillaPingPeriod     = gorillaPongWait * 9 / 10
	gorillaMaxMessageSize = 512
)

var gorillaNewline, gorillaSpace = []byte{'\n'}, []byte{' '}

func newGorillaImpl(cfg serverConfig) impl {
	g := &gorillaImpl{
		cfg:        cfg,
		upgrader:   websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024},
		clients:    make(map[*gorillaClient]bool),
		broadcast:  make(chan []byte),
		register:   make(chan *gorillaClient),
		unregister: make(chan *gorillaClient),
		done:       make(chan struct{}),
		stopped:    make(chan struct{}),
	}
	go g.run()
	return g
}

// run is the example's Hub.run.
func (g *gorillaImpl) run() {
	defer close(g.stopped)
	drop := func(c *gorillaClient) {
		delete(g.clients, c)
		close(c.send)
		g.n.Add(-1)
	}
	for {
		select {
		case c := <-g.register:
			g.clients[c] = true
			g.n.Add(1)
		case c := <-g.unregister:
			if g.clients[c] {
				drop(c)
			}
		case m := <-g.broadcast:
			for c := range g.clients {
				select {
				case c.send <- m:
				default:
					drop(c)
				}
			}
		case <-g.done:
			for c := range g.clients {
				_ = c.conn.Close()
				drop(c)
			}
			return
		}
	}
}

func (g *gorillaImpl) routes(mux *http.ServeMux) { mux.HandleFunc("/ws", g.serveWS) }

func (g *gorillaImpl) publish(payload []byte) {
	select {
	case g.broadcast <- payload:
	case <-g.stopped:
	}
}

func (g *gorillaImpl) peers() int { return int(g.n.Load()) }

func (g *gorillaImpl) shutdown(ctx context.Context) { closeAndWait(ctx, g.done, &g.wg) }

func (g *gorillaImpl) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gorillaClient{conn: conn, send: make(chan []byte, g.cfg.queue)}
	select {
	case g.register <- c:
	case <-g.stopped:
		_ = conn.Close()
		return
	}
	g.wg.Add(2)
	go g.writePump(c)
	go g.readPump(c)
}

// readPump is the example's: every message goes to the hub.
func (g *gorillaImpl) readPump(c *gorillaClient) {
	defer g.wg.Done()
	defer func() {
		select {
		case g.unregister <- c:
		case <-g.stopped:
		}
		_ = c.conn.Close()
	}()
	c.conn.SetReadLimit(gorillaMaxMessageSize)
	_ = c.conn.SetReadDeadline(time.Now().Add(gorillaPongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(gorillaPongWait)) })
	for {
		_, message, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		message = bytes.TrimSpace(bytes.ReplaceAll(message, gorillaNewline, gorillaSpace))
		select {
		case g.broadcast <- message:
		case <-g.stopped:
			return
		}
	}
}

// writePump is the example's, with one WebSocket message per queued
// message (see gorillaImpl).
func (g *gorillaImpl) writePump(c *gorillaClient) {
	defer g.wg.Done()
	ticker := time.NewTicker(gorillaPingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.conn.Close()
	}()
	for {
		select {
		case message, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(g.cfg.writeTimeout))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, message); err != nil {
				return
			}
			for range len(c.send) {
				if err := c.conn.WriteMessage(websocket.TextMessage, <-c.send); err != nil {
					return
				}
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(g.cfg.writeTimeout))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
