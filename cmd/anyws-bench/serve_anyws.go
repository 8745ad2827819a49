package main

import (
	"context"
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/pubsub"
)

// anywsImpl is the system under test: one Hub behind the WebSocket, SSE
// and bidirectional SSE adapters, with the chat hooks of the crossws
// demo (echo to the sender, publish to the others).
type anywsImpl struct {
	cfg serverConfig
	hub *anyws.Hub
}

func newAnywsServer(cfg serverConfig) impl { return newAnywsImpl(cfg) }

func newAnywsImpl(cfg serverConfig) *anywsImpl {
	opts := &anyws.Options{QueueMessages: cfg.queue, Broker: cfg.broker}
	if cfg.impl == "norecovery" {
		opts.ResumeWindow = -1 // the -control norecovery run
	}
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("room") },
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Send(m)
			_ = p.Publish("room", m)
		},
	}, opts)
	return &anywsImpl{cfg: cfg, hub: hub}
}

func (a *anywsImpl) routes(mux *http.ServeMux) {
	mux.Handle("/ws", websocket.New(a.hub, &websocket.Options{WriteTimeout: a.cfg.writeTimeout}))
	mux.Handle("/sse", sse.New(a.hub, &sse.Options{WriteTimeout: a.cfg.writeTimeout}))
	mux.Handle("/bsse", sse.New(a.hub, &sse.Options{WriteTimeout: a.cfg.writeTimeout, Bidirectional: true}))
}

func (a *anywsImpl) publish(payload []byte) {
	_ = a.hub.Publish("room", anyws.NewMessage(payload, false))
}

// peers counts connected peers: a peer whose connection dropped (a
// stalled SSE stream whose write timed out) waits to be resumed
// (Options.ResumeWindow) without a connection, and counts as closed by
// the policy, as it is for every control.
func (a *anywsImpl) peers() int {
	st := a.hub.Stats()
	return st.Peers - st.Detached
}

// sync waits for the broker, if any, to have applied every Subscribe
// (the Hub subscribes the room on the broker when its first peer opens).
func (a *anywsImpl) sync(ctx context.Context) error {
	if s, ok := a.hub.Broker().(pubsub.Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

func (a *anywsImpl) shutdown(ctx context.Context) { _ = a.hub.Shutdown(ctx) }
