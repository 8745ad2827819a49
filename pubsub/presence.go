package pubsub

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Member is one peer's presence in a topic: who subscribed, on which
// node, in which namespace, with the small JSON-able Info the
// application attached (nil if none).
type Member struct {
	// ID is the peer's public id.
	ID string `json:"id"`
	// Node is the id of the node that holds the peer; the broker sets
	// it on Join.
	Node string `json:"node"`
	// Namespace is the peer's namespace.
	Namespace string `json:"ns,omitempty"`
	// Info is what the application attached (JSON), or nil. Keep it
	// small: every heartbeat carries it again.
	Info []byte `json:"info,omitempty"`
}

// PresenceEvent is one join or leave, on any node.
type PresenceEvent struct {
	// Topic is where the member joined or left.
	Topic string
	// Join is true for a join, false for a leave.
	Join bool
	// Expired is true for a leave nobody made: the member's node stopped
	// refreshing its entries (it died, or lost its broker) and they
	// expired.
	Expired bool
	Member  Member
}

// Presence is implemented by brokers that keep, for each topic, who is
// subscribed on every node. The Hub calls Join and Leave as its peers
// subscribe and unsubscribe (when Options.Presence is set), so an
// application asks Hub.Presence rather than the broker.
//
// Entries live as long as their node refreshes them: a node's broker
// renews its entries every PresenceTTL/3, and an entry not renewed for
// PresenceTTL expires, with a leave event (Expired). So a node killed
// without saying so drops out of every topic within PresenceTTL (plus
// one sweep interval on the networked brokers).
type Presence interface {
	// Join records m (m.Node is set by the broker) as present in topic
	// and tells every node. Joining twice refreshes the entry; only the
	// first join is announced.
	Join(ctx context.Context, topic string, m Member) error
	// Leave removes m (matched by ID and Node) from topic and tells
	// every node, if it was there.
	Leave(ctx context.Context, topic string, m Member) error
	// Members returns who is present in topic on every node, sorted by
	// node, then ID.
	Members(ctx context.Context, topic string) ([]Member, error)
	// Count returns how many members topic has on every node: what
	// len(Members) would be, without fetching or decoding them (one
	// ZCOUNT on Redis, a table read on NATS and the memory bus), so a
	// dashboard or an admission check may call it per request.
	Count(ctx context.Context, topic string) (int, error)
	// WatchPresence calls fn, from the broker's goroutines and one event
	// at a time, for every join and leave on any node, this one's
	// included, until stop is called. A networked broker delivers the
	// events at most once: one lost while the server was unreachable
	// is not repeated (Members is the truth).
	WatchPresence(fn func(PresenceEvent)) (stop func())
}

// DefaultPresenceTTL is how long a presence entry outlives the last
// refresh of its node, unless a broker's options say otherwise.
const DefaultPresenceTTL = 15 * time.Second

// SortMembers sorts ms by node, then ID: the order Members returns.
func SortMembers(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.ID, b.ID))
	})
}
