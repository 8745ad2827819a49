package relay

import "sync"

// Topics is the set of topics a node wants from the bus. Subscribe and
// Unsubscribe only record the wish and wake the goroutine that applies
// it (Wake), which asks Diff what changed since it last looked.
type Topics struct {
	mu   sync.Mutex
	want map[string]bool
	have map[string]bool
	wake chan struct{}
}

// NewTopics returns an empty set.
func NewTopics() *Topics {
	return &Topics{want: make(map[string]bool), have: make(map[string]bool), wake: make(chan struct{}, 1)}
}

// Set records that topic is wanted (on) or not.
func (t *Topics) Set(topic string, on bool) {
	t.mu.Lock()
	if on {
		t.want[topic] = true
	} else {
		delete(t.want, topic)
	}
	t.mu.Unlock()
	t.Poke()
}

// Poke wakes the applying goroutine.
func (t *Topics) Poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Wake fires after Set.
func (t *Topics) Wake() <-chan struct{} { return t.wake }

// Diff returns the topics to subscribe and to unsubscribe to match the
// wish, and records them as applied.
func (t *Topics) Diff() (add, remove []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.want {
		if !t.have[k] {
			add = append(add, k)
			t.have[k] = true
		}
	}
	for k := range t.have {
		if !t.want[k] {
			remove = append(remove, k)
			delete(t.have, k)
		}
	}
	return add, remove
}

// Wanted reports whether topic is wanted now.
func (t *Topics) Wanted(topic string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.want[topic]
}
