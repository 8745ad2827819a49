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
// # Delivery
//
// Delivery across nodes is at most once: Redis Pub/Sub keeps no history,
// so a message published while a node's connection is down is lost for
// that node. Publish never blocks: messages go through a bounded queue and
// are pipelined to Redis by one goroutine, in order. What is lost (queue
// full, Redis unreachable) is counted in [Broker.Stats] and reported to
// the fail callback, which a Hub passes to its Error hook with a nil peer.
// After Redis comes back, go-redis reconnects and the broker's
// subscriptions are restored by themselves.
package redis
