package sse

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
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

// encodingKeyCompact names the encoding of resumable streams' text
// messages: without the "event: message" line, since "message" is the
// type of an event that names none (every EventSource, crossws's client
// and anyws's read it so). What it saves pays for most of the id line
// each event of a resumable stream carries. Streams that are not
// resumable keep crossws's bytes exactly.
var encodingKeyCompact = new(int)

// encodeCompact is encodeMessage for a resumable stream's text message;
// binary, named and commented messages keep their full encoding.
func encodeCompact(m anyws.Message) []byte {
	if name := m.EventName(); m.IsBinary() || (name != "" && name != sse.MessageEvent) || m.Comment() != "" {
		return encodeMessage(m)
	}
	b, _ := sse.AppendEvent(make([]byte, 0, m.Len()+16), sse.Event{Data: m.Bytes()})
	return b
}

// encodeMessage writes m as an "event: message" event (or one named by
// anyws.Event, after its comment lines): one data line per payload line
// for text, crossws's base64 data URL for binary.
func encodeMessage(m anyws.Message) []byte {
	data := m.Bytes()
	name, comment := m.EventName(), m.Comment()
	if name == "" || anyws.CheckEventName(name) != nil {
		// Unnamed, or a name that came from another node unchecked: an
		// ordinary message rather than an injected field.
		name = sse.MessageEvent
	}
	size := len(data) + len(name) + 32
	if m.IsBinary() {
		size = len(name) + len(sse.BinaryPrefix) + base64.StdEncoding.EncodedLen(len(data)) + 32
	}
	if comment != "" {
		size += len(comment) + 8
	}
	b := make([]byte, 0, size)
	if comment != "" {
		b = sse.AppendComment(b, comment)
	}
	if m.IsBinary() {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, "\ndata: "+sse.BinaryPrefix...)
		b = base64.StdEncoding.AppendEncode(b, data)
		return append(b, '\n', '\n')
	}
	b, err := sse.AppendEvent(b, sse.Event{Type: name, Data: data})
	if err != nil {
		// Unreachable: the name was checked above.
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
// whether this connection resumed an earlier peer and which of the
// client's uplink messages was delivered last.
func appendHello(dst []byte, secret string, last uint64, rs anyws.ResumeStatus, received uint64, marks bool) []byte {
	data, _ := json.Marshal(sse.Hello{Resumed: rs.Resumed, Reason: rs.Reason, Received: received, Recovered: rs.Recovered, Mended: rs.Mended, Gaps: rs.Gaps, Marks: marks})
	dst, _ = sse.AppendEvent(dst, sse.Event{Type: sse.HelloEvent, ID: resumeID(secret, last), HasID: true, Data: data})
	return dst
}

// appendID appends the id field of a resumable stream's message: the
// claim, or the number alone for a client that asked for short ids,
// then f's mark when the stream has marks.
func (e *events) appendID(dst []byte, seq uint64, f *anyws.Payload) []byte {
	dst = append(dst, "id: "...)
	if !e.shortIDs {
		dst = append(dst, e.key...)
		dst = append(dst, ':')
	}
	dst = strconv.AppendUint(dst, seq, 10)
	if e.marks {
		if m := f.Mark(); m != "" {
			dst = append(dst, sse.MarkSep...)
			dst = append(dst, m...)
		}
	}
	return append(dst, '\n')
}

// wantsShortIDs reports whether the stream request r asks for short ids.
func wantsShortIDs(r *http.Request) bool {
	return sse.HeaderSays(r.Header, sse.ShortIDsHeader, sse.ShortIDs)
}

func resumeID(secret string, seq uint64) string {
	return secret + ":" + strconv.FormatUint(seq, 10)
}
