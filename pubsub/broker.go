package pubsub

import "context"

// Message is what crosses a broker: one publish, as the Hub that made it
// saw it.
type Message struct {
	// Topic the message was published to.
	Topic string
	// Namespace restricts delivery to peers of one namespace; "" means
	// every namespace.
	Namespace string
	// Data is the payload. Brokers must deliver it byte for byte.
	Data []byte
	// Binary is true for binary messages.
	Binary bool
	// Node is the id of the node that published, so a broker can suppress
	// the echo of a node's own messages.
	Node string
	// Event and Comment are the SSE event name and comment the message
	// was published with (anyws.Event), "" for an ordinary message.
	// Brokers carry them as they carry Data.
	Event, Comment string
	// Sender is the id of the peer that published (Peer.Publish), which
	// does not receive its own message; "" for Hub.Publish. The Hub sets
	// it for HistoryBrokers, which deliver a node's own publishes back.
	Sender string
	// Position is the message's place in its topic's history, set by a
	// HistoryBroker on what it delivers and what History returns; zero
	// otherwise.
	Position Position
}

// Broker relays publishes between the Hubs of several nodes. A Hub owns its
// broker: it calls Start once, then Subscribe, Unsubscribe and Publish from
// any goroutine, and Close once at shutdown.
//
// No method may block the Hub: Subscribe, Unsubscribe and Publish record
// the wish and return; the broker does the network work on its own
// goroutines, re-subscribes after a reconnect, keeps each node's publishes
// in order, and reports what failed (a publish lost while the server was
// down, say) to the fail callback. A broker never delivers a node's own
// publishes back to it.
type Broker interface {
	// Start begins delivery: deliver is called, from the broker's
	// goroutines, for each message another node published on a topic this
	// node subscribes; fail is called with errors no method could return.
	// node is this node's id (for echo suppression).
	Start(node string, deliver func(Message), fail func(error)) error
	// Subscribe asks for the topic's messages from other nodes.
	Subscribe(topic string) error
	// Unsubscribe stops them.
	Unsubscribe(topic string) error
	// Publish sends m to the other nodes subscribed to m.Topic. It
	// returns an error only when it knows at once the message is lost.
	Publish(m Message) error
	// Close stops delivery and releases the broker's resources; deliver is
	// not called after Close returns.
	Close() error
}

// Syncer is implemented by brokers whose Subscribe, Unsubscribe and
// Publish take effect later, on the broker's goroutines. Tests, and
// programs that must not lose the first messages of a new topic, call
// Sync to wait until they have.
type Syncer interface {
	// Sync returns once every Subscribe and Unsubscribe made before it is
	// in effect on the server and every Publish made before it has been
	// handed to the server (or reported lost), or with ctx's error.
	Sync(ctx context.Context) error
}
