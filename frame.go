package anyws

import "sync/atomic"

// Frame is one outbound message as it sits in peers' queues. A published
// message becomes one Frame shared by every subscriber, so fan-out costs a
// pointer per subscriber, and a transport's wire encoding of it is made
// once and reused (see Encoded).
type Frame struct {
	msg   Message
	cache atomic.Pointer[encoding]
}

type encoding struct {
	key any
	b   []byte
}

// NewFrame wraps m. Adapters use it for frames they write themselves.
func NewFrame(m Message) *Frame { return &Frame{msg: m} }

// Message returns the message the frame carries.
func (f *Frame) Message() Message { return f.msg }

// Encoded returns enc(f.Message()), computed once per key and shared by
// every peer whose transport uses the same key. key identifies an encoding
// (an adapter uses a pointer of its own); the frame caches one key, which
// is what one publish to a mix of transports needs. enc must be pure.
func (f *Frame) Encoded(key any, enc func(Message) []byte) []byte {
	if c := f.cache.Load(); c != nil && c.key == key {
		return c.b
	}
	b := enc(f.msg)
	f.cache.CompareAndSwap(nil, &encoding{key: key, b: b})
	return b
}
