// Package pubsub holds what anyws's Hub uses to route published messages:
// a topic index for local fan-out, and the Broker interface through which
// Hubs on several nodes relay publishes to each other.
//
// Start with [Broker] if you write a broker, with [NewMemory] if you want
// several Hubs in one process (tests, or one binary serving several ports)
// to share topics. A Hub with no broker is a single node.
//
// The package never sees a peer: it carries a topic, a namespace, a payload
// and the id of the node it came from.
package pubsub
