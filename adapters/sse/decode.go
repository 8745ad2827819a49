package sse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// decodeFramed reads a framed uplink: SSE events, each one message, in
// order. "message" (the default type) is a text message with the event's
// data; "binary" is a binary message whose data is standard base64. It
// returns nil at the end of the body and an *uplinkError for a malformed
// stream; every event complete before the error has been delivered,
// wherever the network split the stream. A body that ends inside an
// event (no blank line after its last line) is malformed: the SSE rules
// would drop that event silently, and the client would take the 204 for
// "delivered".
//
// An event's own id field, if it has one, is its sequence number (1, 2,
// 3, … per peer, kept across a resume), passed to deliver so that an
// event a client resends after a broken uplink is delivered once; an
// event without one gets 0 (not numbered).
func decodeFramed(body io.Reader, maxMessage int, deliver func(anyws.Message, uint64) error) error {
	// The whole stream must be UTF-8 (base64 is ASCII): checking it before
	// the parser, which would replace bad bytes with U+FFFD, refuses
	// invalid text instead of silently altering it.
	p := sse.NewParser(&utf8Reader{r: body}, base64.StdEncoding.EncodedLen(maxMessage))
	for {
		ev, err := p.Next()
		switch {
		case err == io.EOF && p.Unterminated():
			return errUnterminated
		case err == io.EOF:
			return nil
		case errors.Is(err, sse.ErrTooLarge):
			return &uplinkError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("anyws: framed uplink event exceeds the limit of %d bytes (Options.MaxMessageBytes)", maxMessage), err: err}
		case errors.Is(err, errInvalidUTF8):
			return errInvalidText
		case err != nil:
			return &uplinkError{status: http.StatusBadRequest, msg: "anyws: reading the framed uplink failed", err: err}
		}
		var m anyws.Message
		switch ev.Type {
		case "message":
			m = anyws.NewMessage(ev.Data, false)
		case "binary":
			data, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(ev.Data))), ev.Data)
			if err != nil {
				return &uplinkError{status: http.StatusBadRequest, msg: "anyws: framed uplink: the data of an event: binary must be standard base64", err: err}
			}
			m = anyws.NewMessage(data, true)
		default:
			return &uplinkError{status: http.StatusBadRequest, msg: fmt.Sprintf("anyws: framed uplink: unknown event type %.64q: use message (text) or binary (base64)", ev.Type)}
		}
		if m.Len() > maxMessage {
			return tooLarge(int64(m.Len()), maxMessage)
		}
		var seq uint64
		if ev.HasID && ev.ID != "" {
			if seq, err = parseSeq(ev.ID); err != nil {
				return &uplinkError{status: http.StatusBadRequest, msg: fmt.Sprintf("anyws: framed uplink: the id of an event must be its sequence number (1, 2, 3, … per peer), not %.64q", ev.ID)}
			}
		}
		if err := deliver(m, seq); err != nil {
			return err
		}
	}
}

var errUnterminated = &uplinkError{
	status: http.StatusBadRequest,
	msg:    "anyws: framed uplink: the body ended inside an event: end every event, the last one too, with a blank line (\\n\\n)",
}

// rawBufs holds the big read buffers of raw streaming uplinks between
// bursts, so an idle uplink does not keep one.
var rawBufs = sync.Pool{New: func() any { b := make([]byte, rawReadSize); return &b }}

// decodeRaw reads crossws's raw stream: each read of the body is one text
// message. There is no framing, so message boundaries are whatever the
// transport's reads return: a sender's writes may arrive merged or split.
// A rune split between reads is carried over to the next message rather
// than refused; the valid text before an invalid byte is delivered before
// the error.
//
// An idle uplink waits in Read with a buffer of small bytes, which is
// what it holds while blocked. A read that fills it means more is
// arriving: the next read goes to a pooled buffer of big bytes (at most
// rawReadSize), given back as soon as a read leaves it part empty. So a
// message longer than small is split once more than the network split
// it: its first small bytes, then the rest.
func decodeRaw(body io.Reader, small, big int, deliver func(anyws.Message) error) error {
	small = max(small, utf8.UTFMax) // room for a carried rune and more
	idle := make([]byte, small)
	var pooled *[]byte
	defer func() {
		if pooled != nil {
			rawBufs.Put(pooled)
		}
	}()
	buf := idle
	var carry [utf8.UTFMax]byte
	k := 0 // carry holds an incomplete rune that ended the last read
	for {
		copy(buf, carry[:k])
		n, err := body.Read(buf[k:])
		full := n == len(buf)-k
		data := buf[:k+n]
		if n > 0 {
			cut, ok := cutUTF8(data)
			if !ok {
				if v := validLen(data); v > 0 {
					if err := deliver(anyws.NewMessage(bytes.Clone(data[:v]), false)); err != nil {
						return err
					}
				}
				return errInvalidText
			}
			k = copy(carry[:], data[cut:])
			if cut > 0 {
				if err := deliver(anyws.NewMessage(bytes.Clone(data[:cut]), false)); err != nil {
					return err
				}
			}
		}
		switch {
		case err == io.EOF:
			if k > 0 {
				return errInvalidText
			}
			return nil
		case err != nil:
			return &uplinkError{status: http.StatusBadRequest, msg: "anyws: reading the uplink stream failed", err: err}
		case full && pooled == nil && big > small:
			pooled = rawBufs.Get().(*[]byte)
			buf = (*pooled)[:big]
		case !full && pooled != nil:
			rawBufs.Put(pooled)
			pooled, buf = nil, idle
		}
	}
}
