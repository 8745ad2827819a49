package anyws

import (
	"context"
	"fmt"

	"github.com/anyws/anyws/pubsub"
)

// Published is one message of a topic's history (Hub.History).
type Published struct {
	// Message is what was published, event name included.
	Message Message
	// Namespace is the namespace the publish was restricted to, "" for
	// every namespace.
	Namespace string
	// Position is the message's place in its topic's history.
	Position pubsub.Position
}

// historyBroker is the Hub's broker when it keeps history, else nil.
//
// With one, publishing works differently: the Hub does not fan a publish
// out to its own peers at once but hands it to the broker, which gives it
// its position and delivers it back to every subscribed node, this one
// included. Every node's subscribers then see a topic's messages in one
// order, the order of their positions (with Pub/Sub only, a node's own
// publishes reach its peers before earlier ones from other nodes).
func (h *Hub) historyBroker() pubsub.HistoryBroker {
	hb, _ := h.broker.(pubsub.HistoryBroker)
	return hb
}

// publishOrdered is publish through a HistoryBroker: the local fan-out
// happens when the broker delivers the message back (deliverRemote),
// which skips the sending peer by its id.
func (h *Hub) publishOrdered(hb pubsub.HistoryBroker, ns, topic string, m Message, exclude *Peer) error {
	err := hb.Publish(h.relayed(ns, topic, m, exclude))
	if err != nil {
		err = fmt.Errorf("anyws: publish to %q: %w", topic, err)
		h.reportError(nil, err)
	}
	return err
}

// relayed is m as it crosses the broker.
func (h *Hub) relayed(ns, topic string, m Message, exclude *Peer) pubsub.Message {
	pm := pubsub.Message{
		Topic: topic, Namespace: ns, Data: m.data, Binary: m.binary, Node: h.opts.NodeID,
		Event: m.EventName(), Comment: m.Comment(),
	}
	if exclude != nil {
		pm.Sender = exclude.id
	}
	return pm
}

// fanOutRelayed fans out a message the broker delivered, skipping the
// peer that sent it (a HistoryBroker delivers a node's own publishes
// back; the sender may even have moved here from another node).
func (h *Hub) fanOutRelayed(m pubsub.Message) {
	msg := Message{data: m.Data, binary: m.Binary}.withEvent(m.Event, m.Comment)
	if m.Sender == "" && m.Position.IsZero() {
		h.fanOut(m.Namespace, m.Topic, msg, nil)
		return
	}
	f := h.topicPayload(msg, m.Topic, m.Position)
	h.index.Each(m.Namespace, m.Topic, func(p *Peer) {
		if p.id != m.Sender {
			_ = p.enqueue(f)
		}
	})
	if !m.Position.IsZero() {
		h.lastFanned.Store(m.Topic, m.Position) // after the peers have it
	}
}

// PublishWait publishes as Publish does and waits until the broker has
// stored the message, returning its position in the topic's history.
// It needs a broker that keeps history (pubsub.HistoryBroker, for
// instance pubsub.NewMemoryHistory's); with another it fails with
// pubsub.ErrNoHistory and publishes nothing. An error means no peer
// receives the message, except ctx's error (it may have been stored).
func (h *Hub) PublishWait(ctx context.Context, topic string, data any, opts ...PublishOption) (pubsub.Position, error) {
	ns := publishNamespace(opts)
	m, err := messageOf(data)
	if err != nil {
		return pubsub.Position{}, err
	}
	if h.closed.Load() {
		return pubsub.Position{}, ErrHubClosed
	}
	hb := h.historyBroker()
	if hb == nil {
		return pubsub.Position{}, fmt.Errorf("anyws: PublishWait: %w", pubsub.ErrNoHistory)
	}
	pos, err := hb.Append(ctx, h.relayed(ns, topic, m, nil))
	if err != nil {
		return pubsub.Position{}, fmt.Errorf("anyws: publish to %q: %w", topic, err)
	}
	return pos, nil
}

// History returns what was published to topic after since, oldest
// first, at most limit messages (limit <= 0: all that is kept), in every
// namespace (see Published.Namespace). A zero since asks for the newest
// limit messages: a chat room's backlog, say. When the history no longer
// holds everything after since (trimmed by its limits, or lost: another
// epoch), History fails with an error wrapping pubsub.ErrNotCovered: the
// caller missed messages it cannot get back.
//
// It needs a broker that keeps history (pubsub.HistoryBroker), and fails
// with pubsub.ErrNoHistory otherwise.
func (h *Hub) History(ctx context.Context, topic string, since pubsub.Position, limit int) ([]Published, error) {
	hb := h.historyBroker()
	if hb == nil {
		return nil, fmt.Errorf("anyws: History: %w", pubsub.ErrNoHistory)
	}
	ms, err := hb.History(ctx, topic, since, limit)
	if err != nil {
		return nil, fmt.Errorf("anyws: history of %q: %w", topic, err)
	}
	out := make([]Published, len(ms))
	for i, m := range ms {
		out[i] = Published{
			Message:   Message{data: m.Data, binary: m.Binary}.withEvent(m.Event, m.Comment),
			Namespace: m.Namespace,
			Position:  m.Position,
		}
	}
	return out, nil
}
