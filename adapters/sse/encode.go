package sse

import (
	"encoding/base64"
	"encoding/json"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// encodingKey names this adapter's wire encoding in Frame.Encoded: a
// published frame is encoded once and the bytes are shared by every SSE
// subscriber, one-way or bidirectional (both write the same bytes).
var encodingKey = new(int)

// encodeFrame returns f's event bytes, computed once per frame.
func encodeFrame(f *anyws.Frame) []byte { return f.Encoded(encodingKey, encodeMessage) }

// encodeMessage writes m as an "event: message" event: one data line per
// payload line for text, crossws's base64 data URL for binary.
func encodeMessage(m anyws.Message) []byte {
	data := m.Bytes()
	if m.IsBinary() {
		const head = "event: message\ndata: " + sse.BinaryPrefix
		b := make([]byte, 0, len(head)+base64.StdEncoding.EncodedLen(len(data))+2)
		b = append(b, head...)
		b = base64.StdEncoding.AppendEncode(b, data)
		return append(b, '\n', '\n')
	}
	b, err := sse.AppendEvent(make([]byte, 0, len(data)+32), sse.Event{Type: "message", Data: data})
	if err != nil {
		// Unreachable: the event type is a constant without CR or LF.
		panic(err)
	}
	return b
}

// appendClose appends the close event crossws's WebSocketSSE client turns
// into its onclose: data is {"code":…,"reason":…}.
func appendClose(dst []byte, code anyws.StatusCode, reason string) []byte {
	data, _ := json.Marshal(struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	}{int(code), reason}) // cannot fail: an int and a string
	dst, _ = sse.AppendEvent(dst, sse.Event{Type: "close", Data: data})
	return dst
}

func appendToken(dst []byte, token string) []byte {
	dst, _ = sse.AppendEvent(dst, sse.Event{Type: "crossws-id", Data: []byte(token)})
	return dst
}
