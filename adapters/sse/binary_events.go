package sse

import (
	"bytes"
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// Binary events: a stream whose client asked for them (anyws's own
// clients: websocketsse, anyws.js) gets binary messages as
// `event: binary` with base64 data, so that its text messages are always
// text, even one that looks like crossws's data URL. Other clients
// (crossws's WebSocketSSE, native EventSource) get crossws's convention.
// See internal/sse/binaryevent.go.

// binaryEventHead starts a binary message for a client that asked for
// binary events; binaryMessageHead starts it for any other (encodeMessage).
const (
	binaryEventHead   = "event: " + sse.BinaryEvent + "\ndata: "
	binaryMessageHead = "event: message\ndata: " + sse.BinaryPrefix
)

// wantsBinaryEvents reports whether the stream request r asks for binary
// events.
func wantsBinaryEvents(r *http.Request) bool {
	return sse.HeaderSays(r.Header, sse.BinaryEventsHeader, sse.BinaryEvents)
}

// appendPayload appends f's event (a resumable stream's text message in
// its compact form, see encodeCompact). A binary event is made from the
// shared crossws encoding (the same base64 after another head), so a
// publish to both kinds of client is still encoded once.
func (e *events) appendPayload(buf []byte, f *anyws.Payload, resumable bool) []byte {
	if resumable && !f.Message().IsBinary() {
		return append(buf, f.Encoded(encodingKeyCompact, encodeCompact)...)
	}
	b := encodePayload(f)
	if e.binaryEvents && f.Message().IsBinary() {
		// After the comment lines, if any; a named event keeps its name.
		if i := bytes.Index(b, []byte(binaryMessageHead)); i >= 0 {
			buf = append(buf, b[:i]...)
			buf = append(buf, binaryEventHead...)
			return append(buf, b[i+len(binaryMessageHead):]...)
		}
	}
	return append(buf, b...)
}
