package anyws

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/pubsub"
)

// Placing a client from its marks: where it stands on each of its
// peer's topics, from the positions it received (internal/sse
// marks.go), for a peer rebuilt after its node died (resume_recover.go)
// or one that missed more than its queue kept (mending, resume.go).

// clientMarks are the positions a claim carries: the client's last mark
// per tag, and whether the list is complete (anyws's clients send every
// tag they have; a browser's EventSource only its last id's).
type clientMarks struct {
	set      sse.MarkSet
	complete bool
}

// claimMarks collects a claim's marks: AttachOptions.Marks and the
// claim's own (mark).
func claimMarks(o *AttachOptions, mark string) clientMarks {
	cm := clientMarks{set: sse.MarkSet{}, complete: o.Marks != nil}
	for _, m := range o.Marks {
		cm.set.Add(m)
	}
	if mark != "" {
		cm.set.Add(mark)
	}
	return cm
}

// canMend reports whether a claim carries what it takes to give its
// client its topics' messages from the history, should it have missed
// more than its peer kept.
func (h *Hub) canMend(o *AttachOptions, mark string) bool {
	return h.store != nil && (o.Marks != nil || mark != "")
}

// placeTopics says where a client stands on each of topics: pos holds
// the position after which it needs the topic's messages (its mark, or,
// when its complete list has none, where the peer started: starts),
// fromStart the topics all of whose history it needs (it started on an
// empty topic), gaps those the claim cannot place (no mark and the list
// incomplete, or no known start): they continue live.
func (h *Hub) placeTopics(ctx context.Context, hb pubsub.HistoryBroker, topics []string, starts map[string]pubsub.Position, cm clientMarks) (pos map[string]pubsub.Position, fromStart, gaps []string) {
	pos = make(map[string]pubsub.Position, len(topics))
	for _, t := range topics {
		start, known := starts[t]
		since, ok := h.sinceOf(ctx, hb, t, cm.set, start, known)
		switch {
		case ok:
			pos[t] = since
		case !cm.complete || !known:
			gaps = append(gaps, t) // the claim does not say where it stood
		case start.IsZero():
			fromStart = append(fromStart, t)
		default:
			pos[t] = start
		}
	}
	return pos, fromStart, gaps
}

// mendPeer gives a peer whose client missed more than its queue kept
// (reclaim returned "mend": the queue restarted after the claim, holding
// what comes live) its topics' messages from the history, after the
// claim's marks, and returns the topics it could not.
func (h *Hub) mendPeer(p *Peer, o *AttachOptions, mark string) (gaps []string) {
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	p.mu.Lock()
	topics := make([]string, 0, p.topics.len())
	for t := range p.topics.all() {
		topics = append(topics, t)
	}
	starts := maps.Clone(p.starts)
	p.mu.Unlock()
	hb := h.historyBroker()
	pos, fromStart, gaps := h.placeTopics(ctx, hb, topics, starts, claimMarks(o, mark))
	p.q.setPositions(pos)
	backlog, err := h.backlogEach(ctx, hb, p, topics, pos, fromStart, &gaps)
	if err != nil {
		h.reportError(p, fmt.Errorf("anyws: reading what the peer missed from the history: %w", err))
		backlog, gaps = nil, topics
	}
	p.q.release(backlog)
	return gaps
}

// sinceOf finds the client's position on topic among its marks: under
// the topic's current epoch, or the epoch it started in.
func (h *Hub) sinceOf(ctx context.Context, hb pubsub.HistoryBroker, topic string, marks sse.MarkSet, start pubsub.Position, known bool) (pubsub.Position, bool) {
	if len(marks) == 0 {
		return pubsub.Position{}, false
	}
	epochs := []string{}
	if known && start.Epoch != "" {
		epochs = append(epochs, start.Epoch)
	}
	if top, err := hb.History(ctx, topic, pubsub.Position{}, 1); err == nil && len(top) == 1 {
		epochs = append(epochs, top[0].Position.Epoch)
	}
	var best pubsub.Position
	for _, e := range epochs {
		if off, ok := marks[sse.Tag(topic, e)]; ok && off > 0 {
			best = pubsub.Position{Epoch: e, Offset: off} // the current epoch's last
		}
	}
	return best, !best.IsZero()
}

// backlogEach is backlog, topic by topic: a topic whose history no
// longer covers the client's position is added to gaps (it continues
// live) instead of failing the whole recovery.
func (h *Hub) backlogEach(ctx context.Context, hb pubsub.HistoryBroker, p *Peer, topics []string, pos map[string]pubsub.Position, fromStart []string, gaps *[]string) ([]*Payload, error) {
	var out []*Payload
	for _, t := range topics {
		b, err := h.backlog(ctx, hb, p, []string{t}, pos, fromStart)
		if errors.Is(err, pubsub.ErrNotCovered) {
			*gaps = append(*gaps, t)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
