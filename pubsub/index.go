package pubsub

import "sync"

// Index maps topics to subscribers, grouped by namespace. The Hub keeps one
// and walks it on every publish. It is safe for concurrent use.
//
// Subscribers of one (topic, namespace) are kept in a slice, so a publish
// walks contiguous memory and allocates nothing; removal swaps with the
// last element.
type Index[T comparable] struct {
	mu     sync.RWMutex
	topics map[string]*topicSubs[T]
}

type topicSubs[T comparable] struct {
	byNS  map[string]*subs[T]
	count int
}

type subs[T comparable] struct {
	list []T
	pos  map[T]int
}

// Subscribe adds s to topic in namespace ns. added is false if s was
// already there; first is true if s is the topic's first subscriber in any
// namespace (the moment a node subscribes the topic on its broker).
func (x *Index[T]) Subscribe(ns, topic string, s T) (added, first bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.topics == nil {
		x.topics = make(map[string]*topicSubs[T])
	}
	t := x.topics[topic]
	if t == nil {
		t = &topicSubs[T]{byNS: make(map[string]*subs[T])}
		x.topics[topic] = t
	}
	g := t.byNS[ns]
	if g == nil {
		g = &subs[T]{pos: make(map[T]int)}
		t.byNS[ns] = g
	}
	if _, ok := g.pos[s]; ok {
		return false, false
	}
	g.pos[s] = len(g.list)
	g.list = append(g.list, s)
	t.count++
	return true, t.count == 1
}

// Unsubscribe removes s from topic in namespace ns. last is true if the
// topic has no subscriber left in any namespace.
func (x *Index[T]) Unsubscribe(ns, topic string, s T) (removed, last bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	t := x.topics[topic]
	if t == nil {
		return false, false
	}
	g := t.byNS[ns]
	if g == nil {
		return false, false
	}
	i, ok := g.pos[s]
	if !ok {
		return false, false
	}
	end := len(g.list) - 1
	if i != end {
		g.list[i] = g.list[end]
		g.pos[g.list[i]] = i
	}
	var zero T
	g.list[end] = zero
	g.list = g.list[:end]
	delete(g.pos, s)
	if len(g.list) == 0 {
		delete(t.byNS, ns)
	}
	t.count--
	if t.count == 0 {
		delete(x.topics, topic)
		return true, true
	}
	return true, false
}

// Each calls fn for every subscriber of topic in namespace ns, or in every
// namespace when ns is "". fn runs under the index's read lock: it must be
// quick and must not subscribe or unsubscribe.
func (x *Index[T]) Each(ns, topic string, fn func(T)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	t := x.topics[topic]
	if t == nil {
		return
	}
	if ns != "" {
		if g := t.byNS[ns]; g != nil {
			for _, s := range g.list {
				fn(s)
			}
		}
		return
	}
	for _, g := range t.byNS {
		for _, s := range g.list {
			fn(s)
		}
	}
}

// Count returns how many subscribers topic has in all namespaces.
func (x *Index[T]) Count(topic string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if t := x.topics[topic]; t != nil {
		return t.count
	}
	return 0
}

// Topics returns the topics that have at least one subscriber.
func (x *Index[T]) Topics() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.topics))
	for t := range x.topics {
		out = append(out, t)
	}
	return out
}
