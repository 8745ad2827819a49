package anyws

import (
	"hash/maphash"
	"sync"
)

// topicLocks orders a topic's index change and the broker call that
// follows it. Without it, the last local subscriber leaving and a new one
// arriving at the same time can reach the broker in the opposite order
// (Subscribe, then the stale Unsubscribe), leaving the node unsubscribed
// on the broker while it has local subscribers, which then miss every
// other node's publishes.
//
// The locks are striped by topic and shared by every Hub of the process:
// they guard only an index update and a broker call that records a wish
// and returns (see pubsub.Broker), so sharing a stripe costs little, and
// the Hub needs no state of its own for them.
var topicLocks struct {
	seed    maphash.Seed
	stripes [64]sync.Mutex
}

func init() { topicLocks.seed = maphash.MakeSeed() }

// lockTopic locks topic's stripe and returns its unlock.
func lockTopic(topic string) (unlock func()) {
	mu := &topicLocks.stripes[maphash.String(topicLocks.seed, topic)%uint64(len(topicLocks.stripes))]
	mu.Lock()
	return mu.Unlock
}
