package sse

import (
	"encoding/base64"
	"hash/fnv"
	"strconv"
	"strings"
)

// Marks (anyws): a message's topic position, as its client keeps it, so
// a peer whose node died can be rebuilt on another node from what the
// client received (the node's own memory of it is gone).
//
// A mark is "<tag><offset>": the tag is 8 base64url characters naming
// the topic and its history's epoch (a hash: clients keep marks opaque,
// and the server finds the topic among the peer's), the offset the
// message's decimal position in that history. Only a server whose broker
// keeps peer records (pubsub.PeerStore) sends marks (Hello.Marks); then:
//
//   - over SSE every topic message's id ends with MarkSep and its mark
//     ("<n>~<mark>", or "<key>:<n>~<mark>" for full ids), so a browser's
//     EventSource claims with the last message's mark;
//   - over WebSocket, to clients that ask with ClientRevisionMarks,
//     every message after the Hello starts with its mark (empty for a
//     direct message) and "\n", which the client strips;
//   - anyws's clients keep the last mark per tag and claim with all of
//     them (SSE: MarksHeader, space-separated; WebSocket:
//     ClientHello.Marks). Sending them, even none, says the list is
//     complete: a topic without a mark got nothing yet.
const (
	MarkSep     = "~"
	MarksHeader = "X-Anyws-Marks"
	// TagLen is the length of a mark's tag.
	TagLen = 8
)

// Tag names topic and epoch in a mark.
func Tag(topic, epoch string) string {
	h := fnv.New64a()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write([]byte(epoch))
	var b [8]byte
	s := h.Sum(b[:0])
	return base64.RawURLEncoding.EncodeToString(s[:6])
}

// Mark returns the mark of a topic message at offset.
func Mark(topic, epoch string, offset uint64) string {
	return Tag(topic, epoch) + strconv.FormatUint(offset, 10)
}

// SplitMark splits a mark into its tag and offset.
func SplitMark(m string) (tag string, offset uint64, ok bool) {
	if len(m) <= TagLen {
		return "", 0, false
	}
	n, err := strconv.ParseUint(m[TagLen:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return m[:TagLen], n, true
}

// CutMark splits an SSE id (or claim) into what comes before its mark
// and the mark ("" when it has none).
func CutMark(id string) (rest, mark string) {
	rest, mark, _ = strings.Cut(id, MarkSep)
	return rest, mark
}

// MarkSet is the last mark per tag a client received: what it claims
// with.
type MarkSet map[string]uint64

// Add records mark m (ignored when malformed or not newer).
func (s MarkSet) Add(m string) { s.AddBytes([]byte(m)) }

// AddBytes is Add for a mark in a reader's buffer (an SSE id, a
// WebSocket message's first line): a known tag costs no allocation.
func (s MarkSet) AddBytes(m []byte) {
	if len(m) <= TagLen {
		return
	}
	var off uint64
	for _, c := range m[TagLen:] {
		if c < '0' || c > '9' || off > (1<<64-1-9)/10 {
			return
		}
		off = off*10 + uint64(c-'0')
	}
	if off > s[string(m[:TagLen])] {
		s[string(m[:TagLen])] = off
	}
}

// Header returns the set as MarksHeader's value.
func (s MarkSet) Header() string {
	var b strings.Builder
	for tag, off := range s {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tag)
		b.WriteString(strconv.FormatUint(off, 10))
	}
	return b.String()
}

// List returns the set as ClientHello.Marks wants it.
func (s MarkSet) List() []string {
	out := make([]string, 0, len(s))
	for tag, off := range s {
		out = append(out, tag+strconv.FormatUint(off, 10))
	}
	return out
}
