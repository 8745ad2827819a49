package anyws

import "github.com/anyws/anyws/pubsub"

// Topic positions in a peer's queue. With a broker that keeps history
// (pubsub.HistoryBroker) every published payload carries its topic and
// position, and the queue remembers the last position it took per
// topic. That makes two things possible:
//
//   - a payload at or before the last position of its topic is dropped:
//     the same message delivered twice (live and from history) reaches
//     the client once;
//   - the peer can move to another node (resume_remote.go): the new node
//     knows, per topic, where to continue from the history.
//
// While a moved peer's backlog is read from the history, the queue
// holds what arrives live, and takes it after the backlog (release), so
// a topic's messages stay in order.

// advance records f's position as the last of its topic, or reports
// false when f is not newer (a duplicate). Under q.mu.
func (q *queue) advance(f *Payload) bool {
	if f.pos.Offset == 0 {
		return true
	}
	last, ok := q.pos[f.topic]
	if ok && last.Epoch == f.pos.Epoch && f.pos.Offset <= last.Offset {
		return false
	}
	if q.pos == nil {
		q.pos = make(map[string]pubsub.Position)
	}
	q.pos[f.topic] = f.pos
	return true
}

// hold makes the queue keep what is pushed aside until release.
func (q *queue) hold() {
	q.mu.Lock()
	q.held = new([]*Payload)
	q.mu.Unlock()
}

// release queues backlog, then what was held, dropping duplicates, and
// ends the hold. The queue's bounds do not apply to them: the backlog is
// bounded by the history's limits.
func (q *queue) release(backlog []*Payload) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var held []*Payload
	if q.held != nil {
		held = *q.held
	}
	q.held = nil
	for _, list := range [][]*Payload{backlog, held} {
		for _, f := range list {
			if q.closed || !q.advance(f) {
				continue
			}
			q.add(f)
			q.pending += f.cost()
			q.bytes += f.msg.Len()
		}
	}
}

// handOff ends the queue of a peer that moves to another node: it
// returns what is pending, the sequence number of the first, and the
// last position per topic, and refuses every later push.
func (q *queue) handOff() (items []*Payload, base uint64, pos map[string]pubsub.Position) {
	q.mu.Lock()
	items = append([]*Payload(nil), q.items[q.written:]...)
	base = q.base + uint64(q.written)
	pos = make(map[string]pubsub.Position, len(q.pos))
	for t, p := range q.pos {
		pos[t] = p
	}
	q.closed = true
	q.mu.Unlock()
	return items, base, pos
}

// restore fills the queue of a peer that moved here: its pending
// messages from base on, and its last positions.
func (q *queue) restore(items []*Payload, base uint64, pos map[string]pubsub.Position) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.base = base
	q.items, q.buf = items, items
	for _, f := range items {
		q.pending += f.cost()
		q.bytes += f.msg.Len()
	}
	if len(pos) > 0 {
		q.pos = pos
	}
}

// restart makes the queue start again after sequence number last, for a
// client that missed more than the queue kept (rewind failed): of what
// it holds only the direct messages stay (topic messages will come again
// from the history, from the client's own positions, pos), and pushes
// are held until release, so that backlog comes before them.
func (q *queue) restart(last uint64, pos map[string]pubsub.Position) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var direct []*Payload
	for _, f := range q.items {
		if f.topic == "" {
			direct = append(direct, f)
		}
	}
	q.items, q.buf = direct, direct // the old array goes: a rare event
	q.unwrite(last + 1)
	q.pos = pos
	q.held = new([]*Payload)
}

// setPositions replaces the last position per topic (a mended queue's:
// the client's own).
func (q *queue) setPositions(pos map[string]pubsub.Position) {
	q.mu.Lock()
	q.pos = pos
	q.mu.Unlock()
}
