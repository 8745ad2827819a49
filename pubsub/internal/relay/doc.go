// Package relay holds what the networked brokers (pubsub/redis,
// pubsub/nats) share: a bounded outbound queue with one sender goroutine,
// the set of topics a node wants, a gate that stops deliveries at Close,
// request handlers, and the Stats counters. Start with [Outbox].
package relay
