// Package wire is the envelope the networked brokers put on the bus: a
// publish (topic, namespace, binary flag, origin node, payload), a
// node-to-node request, or its reply. One byte of version comes first, so
// foreign messages on a shared server are recognised and skipped.
package wire

import (
	"encoding/binary"
	"errors"

	"github.com/anyws/anyws/pubsub"
)

// Kinds of envelope.
const (
	KindPublish byte = 1
	KindRequest byte = 2
	KindReply   byte = 3
)

// Reply statuses.
const (
	ReplyOK        byte = 0
	ReplyNoService byte = 1
	// ReplyBusy: the node had too many requests in flight and did not
	// serve this one (nothing was done; it may be sent again).
	ReplyBusy byte = 2
)

const version byte = 0xA1

// Flags of a publish. A publish without an event name or comment is
// encoded as before flagEvent existed, so older nodes read it.
const (
	flagBinary byte = 1 << 0
	flagEvent  byte = 1 << 1 // event name and comment follow the namespace
	flagSender byte = 1 << 2 // the sending peer's id follows
	flagPos    byte = 1 << 3 // the position follows: epoch, uvarint offset
)

// ErrMalformed is returned by Decode for bytes that are not an envelope.
var ErrMalformed = errors.New("pubsub: malformed message on the bus (not an anyws envelope, or another version)")

// Envelope is a decoded message.
type Envelope struct {
	Kind    byte
	Msg     pubsub.Message // KindPublish
	ID      uint64         // KindRequest, KindReply
	From    string         // KindRequest: the node to reply to
	Service string         // KindRequest
	Status  byte           // KindReply
	Payload []byte         // KindRequest, KindReply
}

// AppendPublish appends m's envelope to dst.
func AppendPublish(dst []byte, m pubsub.Message) []byte {
	var flags byte
	if m.Binary {
		flags |= flagBinary
	}
	named := m.Event != "" || m.Comment != ""
	if named {
		flags |= flagEvent
	}
	if m.Sender != "" {
		flags |= flagSender
	}
	if !m.Position.IsZero() {
		flags |= flagPos
	}
	dst = append(dst, version, KindPublish, flags)
	dst = appendString(dst, m.Node)
	dst = appendString(dst, m.Topic)
	dst = appendString(dst, m.Namespace)
	if named {
		dst = appendString(dst, m.Event)
		dst = appendString(dst, m.Comment)
	}
	if m.Sender != "" {
		dst = appendString(dst, m.Sender)
	}
	if !m.Position.IsZero() {
		dst = appendString(dst, m.Position.Epoch)
		dst = binary.AppendUvarint(dst, m.Position.Offset)
	}
	return append(dst, m.Data...)
}

// AppendRequest appends a request envelope to dst.
func AppendRequest(dst []byte, id uint64, from, service string, payload []byte) []byte {
	dst = append(dst, version, KindRequest)
	dst = binary.AppendUvarint(dst, id)
	dst = appendString(dst, from)
	dst = appendString(dst, service)
	return append(dst, payload...)
}

// AppendReply appends a reply envelope to dst.
func AppendReply(dst []byte, id uint64, status byte, payload []byte) []byte {
	dst = append(dst, version, KindReply, status)
	dst = binary.AppendUvarint(dst, id)
	return append(dst, payload...)
}

// Decode parses an envelope. The payloads alias b.
func Decode(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) < 2 || b[0] != version {
		return e, ErrMalformed
	}
	e.Kind = b[1]
	r := reader{b: b[2:]}
	switch e.Kind {
	case KindPublish:
		flags := r.byte()
		e.Msg.Binary = flags&flagBinary != 0
		e.Msg.Node = r.string()
		e.Msg.Topic = r.string()
		e.Msg.Namespace = r.string()
		if flags&flagEvent != 0 {
			e.Msg.Event = r.string()
			e.Msg.Comment = r.string()
		}
		if flags&flagSender != 0 {
			e.Msg.Sender = r.string()
		}
		if flags&flagPos != 0 {
			e.Msg.Position.Epoch = r.string()
			e.Msg.Position.Offset = r.uvarint()
		}
		e.Msg.Data = r.rest()
	case KindRequest:
		e.ID = r.uvarint()
		e.From = r.string()
		e.Service = r.string()
		e.Payload = r.rest()
	case KindReply:
		e.Status = r.byte()
		e.ID = r.uvarint()
		e.Payload = r.rest()
	default:
		return e, ErrMalformed
	}
	if r.bad {
		return Envelope{}, ErrMalformed
	}
	return e, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) rest() []byte {
	if r.bad {
		return nil
	}
	b := r.b
	r.b = nil
	if len(b) == 0 {
		return []byte{}
	}
	return b
}
