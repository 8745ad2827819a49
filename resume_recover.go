package anyws

import (
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/pubsub"
)

// peerRecords saves peers' records in the broker (pubsub.PeerStore).
type peerRecords struct {
	ps pubsub.PeerStore
}

// topicPayload is a published message for the peers' queues.
func (h *Hub) topicPayload(msg Message, topic string, pos pubsub.Position) *Payload {
	f := &Payload{msg: msg, topic: topic, pos: pos}
	if h.store != nil && pos.Offset != 0 {
		f.mark = sse.Mark(topic, pos.Epoch, pos.Offset)
	}
	return f
}
