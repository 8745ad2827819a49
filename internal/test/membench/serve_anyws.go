package membench

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
)

// anywsServer is one Hub with the crossws demo's chat hooks (echo to the
// sender, publish to the others) behind the WebSocket and SSE adapters,
// options at their defaults (recovery on) but for the queue's count
// bound, as cmd/anyws-bench sets it.
type anywsServer struct{ hub *anyws.Hub }

func newAnywsServer(queue int) *anywsServer {
	return &anywsServer{hub: anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("room") },
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Send(m)
			_ = p.Publish("room", m)
		},
	}, &anyws.Options{QueueMessages: queue})}
}

func (a *anywsServer) mount(mux *http.ServeMux) {
	// MEMBENCH_PING: a shorter keep-alive, to see idle peers after pings
	ping, _ := time.ParseDuration(os.Getenv(pingEnv))
	mux.Handle("/ws", websocket.New(a.hub, &websocket.Options{PingInterval: ping}))
	mux.Handle("/sse", sse.New(a.hub, nil))
}

func (a *anywsServer) peers() int { return a.hub.Stats().Peers }

func (a *anywsServer) shutdown(ctx context.Context) { _ = a.hub.Shutdown(ctx) }
