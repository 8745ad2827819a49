package anyws

import (
	"sync/atomic"

	"github.com/anyws/anyws/pubsub"
)

// Payload is one outbound message as it sits in peers' queues (adapter
// seam; applications use Message). A published message becomes one
// Payload shared by every subscriber, so fan-out costs a pointer per
// subscriber, and a transport's wire encoding of it is made once and
// reused (see Encoded).
type Payload struct {
	msg   Message
	cache atomic.Pointer[encoding]
	// topic and pos: where a publish sits in its topic's history, when
	// the broker keeps one (queue_positions.go); zero otherwise.
	topic string
	pos   pubsub.Position
	// mark is the position as clients keep it (sse.Mark), when the
	// Hub's broker keeps peer records; "" otherwise.
	mark string
}

type encoding struct {
	key any
	b   []byte
}

// NewPayload wraps m. Adapters use it for messages they write themselves.
func NewPayload(m Message) *Payload { return &Payload{msg: m} }

// Mark is the payload's topic position as anyws's clients keep it
// ("<tag><offset>", see internal/sse's Marks), or "" for a direct
// message, or when the Hub cannot rebuild a peer whose node died (its
// broker keeps no peer records). A transport whose Session.Marks is
// true tells the client each message's mark.
func (f *Payload) Mark() string { return f.mark }

// Message returns the message the payload carries.
func (f *Payload) Message() Message { return f.msg }

// Encoded returns enc(f.Message()), computed once per key and shared by
// every peer whose transport uses the same key. key identifies an encoding
// (an adapter uses a pointer of its own); the payload caches one key, which
// is what one publish to a mix of transports needs. enc must be pure.
func (f *Payload) Encoded(key any, enc func(Message) []byte) []byte {
	if c := f.cache.Load(); c != nil && c.key == key {
		return c.b
	}
	b := enc(f.msg)
	f.cache.CompareAndSwap(nil, &encoding{key: key, b: b})
	return b
}

// cost is what a payload counts against a queue's byte bounds: its bytes
// plus what holding it costs (the queue slot, the Payload), so a burst of
// tiny messages is bounded by the memory it really takes.
func (f *Payload) cost() int {
	c := f.msg.Len() + payloadOverhead
	if e := f.msg.ev; e != nil {
		c += len(e.name) + len(e.comment)
	}
	return c
}

// payloadOverhead is the per-message memory a queue holds beside the
// payload bytes: the slot's pointer, the Payload and its Message header.
const payloadOverhead = 64
