package anyws

import (
	"encoding/json"
	"fmt"
)

// Message is one message received from, or sent to, a peer. The zero value
// is an empty text message.
//
// A Message does not copy its bytes: the Message hook owns what it is given
// and may keep it; a sender must not modify a slice after passing it to
// [Binary], because the same bytes are shared by every subscriber.
type Message struct {
	data   []byte
	binary bool
}

// Text returns a text message. Text is what browsers receive as a string.
func Text(s string) Message { return Message{data: []byte(s)} }

// Binary returns a binary message. It does not copy b.
func Binary(b []byte) Message { return Message{data: b, binary: true} }

// Text returns the payload as a string. For binary messages it is the raw
// bytes, so a client that sends text as binary frames is still readable.
func (m Message) Text() string { return string(m.data) }

// Bytes returns the payload. The caller may keep it but must not modify it
// if the message was published, since all subscribers share it.
func (m Message) Bytes() []byte { return m.data }

// Len is the payload's size in bytes.
func (m Message) Len() int { return len(m.data) }

// IsBinary reports whether the message is binary (a binary WebSocket frame,
// an application/octet-stream uplink body, a base64 data-URL SSE event).
func (m Message) IsBinary() bool { return m.binary }

// JSON decodes the payload into v.
func (m Message) JSON(v any) error {
	if err := json.Unmarshal(m.data, v); err != nil {
		return fmt.Errorf("anyws: decode message as JSON: %w", err)
	}
	return nil
}

// String returns the text, so a Message prints naturally with fmt.
func (m Message) String() string { return string(m.data) }

// messageOf converts what Send and Publish accept to a Message, following
// crossws: a string is text, a []byte is binary, a Message is itself, a
// json.RawMessage is text as is, and anything else is encoded as JSON text.
func messageOf(data any) (Message, error) {
	switch v := data.(type) {
	case Message:
		return v, nil
	case string:
		return Text(v), nil
	case []byte:
		return Binary(v), nil
	case json.RawMessage:
		return Message{data: v}, nil
	case nil:
		return Message{}, fmt.Errorf("anyws: cannot send nil")
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return Message{}, fmt.Errorf("anyws: encode %T as JSON: %w", data, err)
		}
		return Message{data: b}, nil
	}
}

// NewMessage wraps data without copying it: for adapters, which hand the
// Message hook a buffer they will not touch again.
func NewMessage(data []byte, binary bool) Message { return Message{data: data, binary: binary} }
