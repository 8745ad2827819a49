// Package pubsubtest is the conformance suite every pubsub.Broker passes,
// like testing/slogtest for slog handlers: publish and subscribe,
// unsubscribe, many topics, binary and large payloads, SSE event names, concurrent
// publishers with per-publisher order, echo suppression, namespaces,
// close, and node-to-node requests for brokers that implement
// pubsub.Requester.
//
// [RunHistory], [RunPresence] and [RunPeerStore] run the cases of
// pubsub.HistoryBroker, pubsub.Presence and pubsub.PeerStore.
//
// Start with [Run]. Brokers must implement pubsub.Syncer, which the suite
// uses to know when a subscription is in effect instead of sleeping.
package pubsubtest
