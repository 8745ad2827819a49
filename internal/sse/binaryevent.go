package sse

import (
	"encoding/base64"
	"fmt"
)

// Binary messages on the downlink, unambiguously (anyws).
//
// crossws sends a binary message as an ordinary message event whose data
// is a [BinaryPrefix] data URL, so a text message that happens to start
// with that prefix reads as binary at the other end. anyws's own clients
// ask for better: their stream GET carries BinaryEventsHeader with the
// value BinaryEvents, and an anyws server that honours it answers with
// the same header and then sends every binary message as a BinaryEvent
// (base64 data, no prefix) and every text message as a MessageEvent,
// always text. A client whose request was not answered with the header
// (a crossws server, an older anyws) must read data URLs as crossws
// does. Clients that do not ask (crossws's WebSocketSSE, native
// EventSource) get crossws's convention unchanged.
const (
	// BinaryEventsHeader is the request header that asks for binary
	// events and the response header that grants them.
	BinaryEventsHeader = "X-Anyws-Binary"
	// BinaryEvents is BinaryEventsHeader's value.
	BinaryEvents = "event"
	// BinaryEvent carries one binary message as standard base64 with
	// padding; the framed uplink uses the same event.
	BinaryEvent = "binary"
)

// DecodeBinaryEvent decodes the data of a BinaryEvent.
func DecodeBinaryEvent(data []byte) ([]byte, error) {
	payload, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(data))), data)
	if err != nil {
		return nil, fmt.Errorf("sse: binary event: %w", err)
	}
	return payload, nil
}
