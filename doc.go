// Package anyws is realtime messaging over any transport: an application
// writes one set of [Hooks] against one [Peer] type with pub/sub topics,
// and adapters serve them over WebSocket, one-way Server-Sent Events, and
// bidirectional SSE (an EventSource stream plus HTTP POST uplinks).
//
// # Where to start
//
// Create a [Hub] with [New], mount an adapter on it, and publish:
//
//	hub := anyws.New(anyws.Hooks{
//		Open:    func(p *anyws.Peer) { p.Subscribe("chat") },
//		Message: func(p *anyws.Peer, m anyws.Message) { p.Publish("chat", m.Text()) },
//	}, nil)
//	mux.Handle("/_ws", auto.New(hub, nil)) // github.com/anyws/anyws/adapters/auto
//	hub.Publish("chat", "hello")
//	defer hub.Shutdown(ctx)
//
// The adapters live in their own packages: adapters/auto (every transport
// on one URL, and the browser client), adapters/websocket, adapters/sse.
// Go programs connect with the client package (WebSocket, falling back
// to SSE as the browser client does) or over SSE with websocketsse.
//
// # Design
//
// The root package does not import the adapters; they import it and drive
// peers through a small seam ([Conn], [Hub.Accept], [Hub.Attach],
// [Session]; transport.go), which applications never need.
// That is why the all-transports handler is a package of its own
// (adapters/auto) rather than a Hub method: one more import keeps the
// dependency graph acyclic and each adapter usable alone.
//
// Each peer has a bounded outbound queue ([Options]). [Peer.Send] and
// [Hub.Publish] only append to queues and never block; the connection's
// one writer takes everything queued in one batch and writes it, with a
// deadline and without holding a lock. The core starts that writer only
// while there is something to write, so an idle WebSocket peer or
// HTTP/1.1 SSE stream costs one goroutine, its transport's reader (an
// HTTP/2 stream also keeps its request goroutine). A published message
// is one [Payload] shared by every subscriber, encoded once per
// transport. A peer that falls too far behind is closed with
// [StatusTryAgainLater] (or, with [OverflowDrop], loses the messages that
// did not fit). A peer outlives a dropped connection for
// [Options.ResumeWindow] (two minutes by default): a client that can
// resume (SSE, anyws's clients over WebSocket) gets it back, with
// everything it missed, once and in order: on any node, when the broker
// keeps history and carries requests, and even when the node holding it
// died, when the broker also keeps peer records ([pubsub.PeerStore]).
//
// Topics are routed by the pubsub package: a topic index for local
// fan-out and a Broker interface through which Hubs on several nodes
// relay publishes.
//
// # Hooks and goroutines
//
// For one peer, Open runs first, Message calls run one at a time in
// arrival order, Close runs exactly once, and nothing runs after Close.
// See [Hooks] for which goroutine runs what.
package anyws
