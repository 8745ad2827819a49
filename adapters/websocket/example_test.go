package websocket_test

import (
	"net/http"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
)

// Mount the WebSocket adapter on a route with hooks of its own; the Hub's
// hooks fill in the ones it leaves nil.
func ExampleNew() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("news") },
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("/ws", wsadapter.New(hub, nil))
	mux.Handle("/admin/ws", wsadapter.New(hub, &wsadapter.Options{
		Hooks: anyws.Hooks{
			Message: func(p *anyws.Peer, m anyws.Message) { _ = hub.Publish("news", m.Text()) },
		},
		OriginPatterns: []string{"admin.example.com"},
	}))
	_ = http.ListenAndServe("localhost:8080", mux)
}
