package main

import (
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/pubsub/redis"
)

// newNode returns one chat node on the Redis at redisURL: WebSocket at
// /_ws, bidirectional SSE at /_sse. Every node of one app must use the
// same Prefix; logf reports broker failures.
func newNode(redisURL string, logf func(string, ...any)) (*anyws.Hub, http.Handler, error) {
	broker, err := redis.New(&redis.Options{URL: redisURL, Prefix: "scaling-example:"})
	if err != nil {
		return nil, nil, err
	}
	var hub *anyws.Hub
	hub = anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("chat")
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			// Hub.Publish reaches every namespace (/_ws and /_sse) on
			// every node, the sender included.
			_ = hub.Publish("chat", m.Text())
		},
		Error: func(p *anyws.Peer, err error) {
			logf("anyws: peer %v: %v", p, err)
		},
	}, &anyws.Options{Broker: broker})
	mux := http.NewServeMux()
	mux.Handle("/_ws", websocket.New(hub, nil))
	mux.Handle("/_sse", sse.New(hub, &sse.Options{Bidirectional: true}))
	return hub, mux, nil
}
