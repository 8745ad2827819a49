package anyws

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/anyws/anyws/internal/sse"
)

// Event is a message with a Server-Sent Events name, and optionally a
// comment, for front ends that listen with EventSource's
// addEventListener(name, …) (as better-sse's push(data, eventName) and
// h3's push({event, data}) offer). Send and publish it like any data:
//
//	peer.Send(anyws.Event{Name: "ping", Data: "hello"})
//	hub.Publish("scores", anyws.Event{Name: "score", Data: score})
//
// Over SSE the message is written as an "event: <Name>" event: a native
// EventSource (and anyws.js) dispatches it to the listeners of that name,
// not to onmessage. Comment lines (": …") come before it; readers ignore
// them, they show in a browser's network panel. The id field stays the
// library's own (the resume position of the stream).
//
// Over WebSocket there are no event names: the client receives Data as an
// ordinary message, and Name and Comment are dropped. The Go client
// websocketsse reads only unnamed (message) events and skips named ones.
type Event struct {
	// Name is the SSE event type. "" and "message" send an ordinary
	// message event. A name may not contain CR, LF or NUL (they would
	// end the field and let the rest inject fields), must be valid UTF-8
	// (a browser would decode it to U+FFFD and no listener would match),
	// and may not be one the protocol uses: open, error, close,
	// reconnecting, crossws-id, anyws.
	Name string
	// Data is converted as Peer.Send converts its argument (string: text,
	// []byte: binary, Message, json.RawMessage, anything else as JSON).
	Data any
	// Comment is sent as SSE comment lines before the event, one line per
	// line of Comment (CR and LF split lines, so it cannot inject fields).
	Comment string
}

// ErrEventName is returned (wrapped) by Send and Publish for an Event
// whose name SSE cannot carry or the protocol reserves.
var ErrEventName = errors.New("anyws: invalid event name")

// reservedEvents are names clients use for themselves: EventSource's own
// open and error, crossws's close and token events, anyws's hello, and
// anyws.js's reconnecting. An application event by one of these names
// would close a crossws client or pose as the connection's own events.
var reservedEvents = map[string]bool{
	"open": true, "error": true, sse.CloseEvent: true, "reconnecting": true,
	sse.TokenEvent: true, sse.HelloEvent: true,
}

// eventMeta is what an Event adds to its message. Messages keep a pointer
// to it, so one without a name costs a nil pointer.
type eventMeta struct {
	name    string
	comment string
}

// CheckEventName reports whether name can be sent as an SSE event name
// (see Event.Name), with an error wrapping ErrEventName that says why not.
func CheckEventName(name string) error {
	switch {
	case strings.ContainsAny(name, "\r\n\x00"):
		return fmt.Errorf("%w %.64q: it contains CR, LF or NUL", ErrEventName, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w %.64q: it is not valid UTF-8", ErrEventName, name)
	case reservedEvents[name]:
		return fmt.Errorf("%w %q: the protocol uses it (reserved: open, error, close, reconnecting, crossws-id, anyws)", ErrEventName, name)
	}
	return nil
}

// Message converts e as Send does: its data with its name, or an error
// wrapping ErrEventName for a name that cannot be sent.
func (e Event) Message() (Message, error) {
	if err := CheckEventName(e.Name); err != nil {
		return Message{}, err
	}
	if _, nested := e.Data.(Event); nested {
		return Message{}, errors.New("anyws: Event.Data cannot be an Event")
	}
	m, err := messageOf(e.Data)
	if err != nil {
		return Message{}, err
	}
	return m.withEvent(e.Name, e.Comment), nil
}

// withEvent returns m carrying an event name and comment ("message" is
// the default name, kept as "").
func (m Message) withEvent(name, comment string) Message {
	if name == sse.MessageEvent {
		name = ""
	}
	if name == "" && comment == "" {
		m.ev = nil
		return m
	}
	m.ev = &eventMeta{name: name, comment: comment}
	return m
}

// EventName returns the SSE event name the message was sent or published
// with (see Event), or "" for an ordinary message.
func (m Message) EventName() string {
	if m.ev == nil {
		return ""
	}
	return m.ev.name
}

// Comment returns the SSE comment the message was sent or published with
// (see Event), or "".
func (m Message) Comment() string {
	if m.ev == nil {
		return ""
	}
	return m.ev.comment
}
