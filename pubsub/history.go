package pubsub

import (
	"context"
	"errors"
	"time"
)

// ErrNotCovered is returned (wrapped, with the reason) by History when
// the history no longer holds everything published after the position
// asked for: messages after it were trimmed (count, bytes or age
// limits), or the history itself was lost (another epoch). The reader
// missed messages it cannot get back; it should start again from the
// current state (and tell its user).
var ErrNotCovered = errors.New("pubsub: history does not cover the position")

// ErrNoHistory is returned by brokers and Hubs asked for history they do
// not keep (Pub/Sub-only mode).
var ErrNoHistory = errors.New("pubsub: this broker keeps no history (Pub/Sub only)")

// HistoryLimits bound what a HistoryBroker keeps of each topic. A message
// leaves the history when any limit is passed; zero fields take the
// defaults (DefaultHistoryLimits), a negative one means no such limit.
type HistoryLimits struct {
	// Count is the most messages kept per topic.
	Count int
	// Bytes is the most payload bytes kept per topic.
	Bytes int
	// Age is how long a message is kept. A topic whose every message is
	// older than Age is forgotten; its next publish starts a new epoch.
	Age time.Duration
}

// DefaultHistoryLimits: a minute or two of a busy chat room, ten minutes
// of a quiet one, for clients that reconnect or move to another node.
var DefaultHistoryLimits = HistoryLimits{Count: 1000, Bytes: 1 << 20, Age: 10 * time.Minute}

// withDefaults fills zero fields.
func (l HistoryLimits) withDefaults() HistoryLimits {
	d := DefaultHistoryLimits
	if l.Count == 0 {
		l.Count = d.Count
	}
	if l.Bytes == 0 {
		l.Bytes = d.Bytes
	}
	if l.Age == 0 {
		l.Age = d.Age
	}
	return l
}

// HistoryBroker is a Broker that gives every publish a position and keeps
// a bounded history of each topic. Its contract differs from a
// Pub/Sub-only Broker in what deliver gets:
//
//   - every publish on a topic this node subscribes, this node's own
//     included (Message.Node says whose; the Hub fans its own publishes
//     out when they come back, so every node's subscribers see one
//     order);
//   - each with its Position set, in Position order per topic, each
//     once.
//
// Publish still returns at once (a networked broker stores and relays on
// its own goroutines); a publish that could not be stored is reported
// to the fail callback and counted in the broker's Stats, never dropped
// in silence. Append waits for the position.
type HistoryBroker interface {
	Broker
	// Append publishes m as Publish does and returns once the broker has
	// stored it, with its position, or with the reason it was not
	// stored (then no node receives it) or ctx's error (then it may
	// have been, or not).
	Append(ctx context.Context, m Message) (Position, error)
	// History returns the messages published to topic after since,
	// oldest first, at most limit of them (limit <= 0: all the history
	// holds), each with its Position. A zero since asks for the newest
	// limit messages. If messages after since are no longer held, or
	// since is of another epoch, History fails with an error wrapping
	// ErrNotCovered. It may be called from any goroutine, before or
	// after Subscribe; a message can be both returned and delivered
	// (compare offsets).
	History(ctx context.Context, topic string, since Position, limit int) ([]Message, error)
}
