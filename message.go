package anyws

import (
	"encoding/json"
	"fmt"

	"github.com/anyws/anyws/internal/utf8fix"
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
	ev     *eventMeta // SSE event name and comment (event.go), or nil
}

// Text returns a text message. Text is what browsers receive as a string,
// and a browser closes a WebSocket that receives invalid UTF-8 in a text
// frame, so invalid sequences in s are replaced by U+FFFD (as a browser's
// TextDecoder does): one peer's bad bytes, republished, can never
// disconnect the others.
func Text(s string) Message { return Message{data: []byte(utf8fix.String(s))} }

// Binary returns a binary message. It does not copy b.
func Binary(b []byte) Message { return Message{data: b, binary: true} }

// Text returns the payload as a string. A text message is valid UTF-8
// (adapters refuse invalid text, 1007). For a binary message it is the
// bytes decoded as UTF-8 with invalid sequences replaced by U+FFFD, as
// a browser's TextDecoder does: a client that sends text in binary
// frames is still readable, and the string is always safe to send on.
// Use Bytes for the raw payload.
func (m Message) Text() string {
	if m.binary {
		return utf8fix.String(string(m.data))
	}
	return string(m.data)
}

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
func (m Message) String() string { return m.Text() }

// messageOf converts what Send and Publish accept to a Message, following
// crossws: a string is text, a []byte is binary, a Message is itself, an
// Event is its data with a name (checked), a json.RawMessage is text as
// is, and anything else is encoded as JSON text.
func messageOf(data any) (Message, error) {
	switch v := data.(type) {
	case Message:
		return v, nil
	case Event:
		return v.Message()
	case string:
		return Text(v), nil
	case []byte:
		return Binary(v), nil
	case json.RawMessage:
		return Message{data: utf8fix.Bytes(v)}, nil
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
// Message hook a buffer they will not touch again. Text data that is not
// valid UTF-8 is replaced by its valid form (see Text).
func NewMessage(data []byte, binary bool) Message {
	if !binary {
		data = utf8fix.Bytes(data)
	}
	return Message{data: data, binary: binary}
}
