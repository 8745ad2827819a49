package sse

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// encodingKey names this adapter's wire encoding in Frame.Encoded: a
// published frame is encoded once and the bytes are shared by every SSE
// subscriber, one-way or bidirectional (both write the same bytes).
var encodingKey = new(int)

// encodePayload returns f's event bytes, computed once per payload.
func encodePayload(f *anyws.Payload) []byte { return f.Encoded(encodingKey, encodeMessage) }

// encodeMessage writes m as an "event: message" event: one data line per
// payload line for text, crossws's base64 data URL for binary.
func encodeMessage(m anyws.Message) []byte {
	data := m.Bytes()
	if m.IsBinary() {
		b := make([]byte, 0, len(binaryMessageHead)+base64.StdEncoding.EncodedLen(len(data))+2)
		b = append(b, binaryMessageHead...)
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

// appendHello appends the event that opens a resumable stream: its id is
// the peer's secret and the number of the last message the client has
// (so even a client that got no message yet can resume), its data says
// whether this connection resumed an earlier peer.
func appendHello(dst []byte, secret string, last uint64, rs anyws.ResumeStatus) []byte {
	data, _ := json.Marshal(struct {
		Resumed bool   `json:"resumed"`
		Reason  string `json:"reason,omitempty"`
	}{rs.Resumed, rs.Reason})
	dst, _ = sse.AppendEvent(dst, sse.Event{Type: sse.HelloEvent, ID: resumeID(secret, last), Data: data})
	return dst
}

// appendID appends the id field of a resumable stream's message.
func appendID(dst []byte, secret string, seq uint64) []byte {
	dst = append(dst, "id: "...)
	dst = append(dst, secret...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, seq, 10)
	return append(dst, '\n')
}

func resumeID(secret string, seq uint64) string {
	return secret + ":" + strconv.FormatUint(seq, 10)
}
