// Package nats is a pubsub.Broker on NATS core publish/subscribe, through
// nats.go, so that the Hubs of several nodes share topics.
//
// Start with [New], giving it the connection your program already has (or
// a URL), and pass the broker to anyws.New in Options.Broker:
//
//	b, err := nats.New(&nats.Options{Conn: nc, Prefix: "myapp"})
//	hub := anyws.New(hooks, &anyws.Options{Broker: b})
//
// Each topic is a subject, Prefix + ".t." + the topic (as is when it is
// made of letters, digits, '-' and '_'; otherwise "=" and its unpadded
// base64url, so dots, spaces and wildcards in topic names are never
// patterns). Each node also answers requests from other nodes (SSE uplink
// routing, see [pubsub.Requester]) on Prefix + ".n." + its encoded id.
// Unrelated applications on one NATS must use different prefixes.
//
// The broker also keeps presence ([pubsub.Presence], presence.go) on the
// subject Prefix + ".p", without JetStream: every node holds every
// node's members from their events and heartbeats, and drops a node not
// heard from for Options.PresenceTTL.
//
// # Delivery
//
// Delivery across nodes is at most once: core NATS keeps no history. A
// message is at most NATS's max_payload (1 MiB by default); a larger one
// is refused at Publish. Publish never blocks: messages go through a
// bounded queue and one goroutine, in order. While the connection is down
// publishes are not buffered for later (that would deliver them to
// whichever nodes reconnected first): they are lost, counted in
// [Broker.Stats] and reported to the fail callback, which a Hub passes to
// its Error hook with a nil peer, once when the outage starts and once,
// with the count, when publishing works again. Publishes sent within
// 1 s plus twice the connection's ReconnectWait after a reconnect are
// sent, and also counted and reported as possibly lost: the other nodes
// may not have resubscribed yet. nats.go reconnects and restores the
// subscriptions by itself.
//
// Messages from other nodes wait for this node's Hub in one buffer of
// Options.ReceiveBuffer messages (default 65536), all topics together,
// which absorbs bursts; what arrives while it is full is dropped by
// nats.go, and every drop is counted (Stats().Failed) and reported.
//
// # History
//
// [NewHistory] keeps each topic's history in a JetStream stream (the
// server must run JetStream: nats-server -js) and gives every publish a
// position: the stream's sequence is the topic's offset, and a random
// epoch made with the stream is the last token of the subject the stream
// republishes to (Prefix + ".hd." + topic + "." + epoch), so every node
// receives what was stored, in order, with its position. Every node,
// the publisher's own included, receives a topic's messages in one
// order; after a reconnect each node reads every subscribed topic's
// stream from the last position it delivered, so what was stored while
// it was away is delivered, once and in order. A publish that JetStream
// did not acknowledge is counted and reported as not stored (Append
// returns the error); there is no settling window. See [HistoryBroker].
//
// The HistoryBroker also keeps the Hub's peer records
// ([pubsub.PeerStore], peers.go), so the peers of a node that died can
// be rebuilt on another: in the JetStream key-value bucket Prefix +
// "_peers" (characters a bucket name does not allow made '_'), made by
// the first save with its ttl as the bucket's TTL. nats-server 2.9 has
// no per-key TTL: every record has the bucket's, which one Hub's
// constant ttl fits (a longer ttl raises it; a shorter one leaves it).
// The Pub/Sub-only Broker does not implement PeerStore: it needs
// JetStream, and the Hub uses it only with history.
//
// Requests from other nodes run on a bounded pool of goroutines with a
// bounded backlog; past both they are refused at once (pubsub.ErrBusy).
package nats
