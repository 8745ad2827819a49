package sse

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
)

// decodeFramed reads a framed uplink: SSE events, each one message, in
// order. "message" (the default type) is a text message with the event's
// data; "binary" is a binary message whose data is standard base64. It
// returns nil at the end of the body and an *uplinkError for a malformed
// stream; what came before the error has been delivered.
func decodeFramed(body io.Reader, maxMessage int, deliver func(anyws.Message) error) error {
	// The whole stream must be UTF-8 (base64 is ASCII): checking it before
	// the parser, which would replace bad bytes with U+FFFD, refuses
	// invalid text instead of silently altering it.
	p := sse.NewParser(&utf8Reader{r: body}, base64.StdEncoding.EncodedLen(maxMessage))
	for {
		ev, err := p.Next()
		switch {
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
		if err := deliver(m); err != nil {
			return err
		}
	}
}

// decodeRaw reads crossws's raw stream: each read of the body is one text
// message. There is no framing, so message boundaries are whatever the
// transport's reads return: a sender's writes may arrive merged or split.
// A rune split between reads is carried over to the next message rather
// than refused.
func decodeRaw(body io.Reader, bufSize int, deliver func(anyws.Message) error) error {
	buf := make([]byte, bufSize)
	var carry []byte
	for {
		n, err := body.Read(buf)
		if n > 0 {
			msg := make([]byte, len(carry)+n)
			copy(msg, carry)
			copy(msg[len(carry):], buf[:n])
			cut, ok := cutUTF8(msg)
			if !ok {
				return errInvalidText
			}
			carry = append(carry[:0], msg[cut:]...)
			if cut > 0 {
				if err := deliver(anyws.NewMessage(msg[:cut:cut], false)); err != nil {
					return err
				}
			}
		}
		switch {
		case err == io.EOF:
			if len(carry) > 0 {
				return errInvalidText
			}
			return nil
		case err != nil:
			return &uplinkError{status: http.StatusBadRequest, msg: "anyws: reading the uplink stream failed", err: err}
		}
	}
}
