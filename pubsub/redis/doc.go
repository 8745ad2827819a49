// Package redis is a pubsub.Broker on Redis Pub/Sub, through go-redis, so
// that the Hubs of several nodes share topics.
//
// Start with [New], giving it the client your program already has (or a
// URL), and pass the broker to anyws.New in Options.Broker:
//
//	b, err := redis.New(&redis.Options{Client: rdb, Prefix: "myapp:"})
//	hub := anyws.New(hooks, &anyws.Options{Broker: b})
//
// Each topic is a Redis channel, Prefix + "t:" + topic; each node also
// listens on Prefix + "n:" + node id for requests from other nodes (SSE
// uplink routing, see [pubsub.Requester]). Unrelated applications on one
// Redis must use different prefixes.
//
// The broker also keeps presence ([pubsub.Presence], presence.go): keys
// Prefix + "p:{topic}:z" and ":d", the set Prefix + "p:topics" and the
// channel Prefix + "p:events"; entries expire Options.PresenceTTL after
// their node's last renewal.
//
// # Delivery
//
// Delivery across nodes is at most once: Redis Pub/Sub keeps no history,
// so a message published while a node's connection is down is lost for
// that node, and no publish ever arrives twice (the broker sends with
// go-redis retries off: a pipeline whose connection broke is not sent
// again, its publishes are reported lost; for a client given in
// Options.Client the broker makes a copy with MaxRetries -1, except for
// client types it does not know, which need it set by you). Publish never
// blocks: messages go through a bounded queue and are pipelined to Redis
// by one goroutine, in order.
//
// Every publish that may not have reached every subscribed node is
// counted in [Broker.Stats] (Failed) and reported to the fail callback,
// which a Hub passes to its Error hook with a nil peer: those refused
// (queue full), those that failed, and those sent while this node's
// subscription connection is down or within 2 s of its return, since the
// other nodes resubscribe on their own schedule after Redis comes back
// (some of these may have been delivered). Reports come once when an
// outage starts and once, with the count, when publishing works again.
// After Redis comes back, go-redis reconnects and the broker's
// subscriptions are restored by themselves.
//
// # History
//
// [NewHistory] returns a [HistoryBroker]: each topic is also a Redis
// stream (Prefix + "h:{" + topic + "}:s", with its epoch and last offset
// in the hash ...:m), every publish gets a position, and every node
// receives a topic in one order, its own publishes included (see
// pubsub.HistoryBroker). After an outage each node reads every
// subscribed topic's stream from the last position it delivered, once
// its subscriptions are back, so whatever Redis stored meanwhile is
// delivered, in order and once; there is no settling window, and only
// publishes Redis did not store are reported. Run Redis with an
// append-only file (appendfsync always) for its streams to outlive a
// crash; one that restarts empty starts new epochs.
//
// The HistoryBroker also keeps the Hub's peer records
// ([pubsub.PeerStore], peers.go): one string per peer, Prefix + "peer:"
// + key, expiring ttl after its last save (SET PX), so the peers of a
// node that died can be rebuilt on another. The Pub/Sub-only Broker does
// not implement PeerStore: the Hub uses it only with history.
//
// Requests from other nodes run on a bounded pool of goroutines with a
// bounded backlog; past both they are refused at once (pubsub.ErrBusy),
// so a slow handler never holds up the delivery of publishes.
package redis
