// Package pubsub holds what anyws's Hub uses to route published messages:
// a topic index for local fan-out, and the Broker interface through which
// Hubs on several nodes relay publishes to each other.
//
// Start with [Broker] if you write a broker, with [NewMemory] if you want
// several Hubs in one process (tests, or one binary serving several ports)
// to share topics. A Hub with no broker is a single node.
//
// [HistoryBroker] adds positions ([Position]: epoch + offset) and a
// bounded per-topic history ([HistoryLimits]); [NewMemoryHistory] is the
// in-process one. Pub/Sub-only brokers are cheaper and deliver at most
// once; with history every node sees one order per topic and a reader
// can ask what it missed since a position.
//
// [PeerStore] keeps a small record per peer, so a peer whose node died
// can be rebuilt on another node; the history brokers keep it.
//
// [Presence] keeps who subscribes to each topic on every node, with join
// and leave events; entries of a node that stops renewing them expire
// ([DefaultPresenceTTL]). The memory bus, Redis and NATS brokers keep
// it.
//
// The package never sees a peer: it carries a topic, a namespace, a payload
// and the id of the node it came from.
package pubsub
