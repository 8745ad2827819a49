package websocketsse

import (
	"net/http"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// Binary messages on the stream. Every stream GET asks for binary events
// (see internal/sse/binaryevent.go); a server that grants them (an anyws
// server) sends binary as `event: binary` and text as `event: message`,
// always text. A server that does not (crossws) sends binary as a data
// URL in `event: message`, which is then read as crossws's clients read
// it, with its ambiguity: text that starts with the prefix reads as
// binary.

// askBinaryEvents marks a stream request as coming from a client that
// reads binary events.
func askBinaryEvents(h http.Header) { h.Set(sse.BinaryEventsHeader, sse.BinaryEvents) }

// grantsBinaryEvents reports whether the stream's response says binary
// messages come as binary events.
func grantsBinaryEvents(h http.Header) bool {
	return sse.HeaderSays(h, sse.BinaryEventsHeader, sse.BinaryEvents)
}

// decodeMessage turns a message or binary event into a message; ok is
// false for an event that carries none: a binary event on a stream that
// did not grant them (a named event, which the Conn ignores like any
// other) or whose data is not base64 (a broken server: dropped, as an
// EventSource drops what it cannot parse).
func decodeMessage(ev sse.Event, binaryEvents bool) (m message, ok bool) {
	switch {
	case ev.Type == sse.BinaryEvent:
		if !binaryEvents {
			return message{}, false
		}
		b, err := sse.DecodeBinaryEvent(ev.Data)
		if err != nil {
			return message{}, false
		}
		return message{typ: websocket.MessageBinary, data: b}, true
	case binaryEvents:
		return message{typ: websocket.MessageText, data: ev.Data}, true
	}
	if b, ok, err := sse.DecodeBinaryData(ev.Data); ok && err == nil {
		return message{typ: websocket.MessageBinary, data: b}, true
	}
	return message{typ: websocket.MessageText, data: ev.Data}, true
}
