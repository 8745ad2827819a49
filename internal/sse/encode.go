package sse

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is one server-sent event.
//
// When written by [AppendEvent] the fields mean what to send. When returned
// by [Parser.Next] they mean what a browser's MessageEvent would hold; see
// [Parser.Next] for the exact reading semantics.
type Event struct {
	// Type is the "event:" field. When writing, "" sends no event field,
	// which readers report as "message".
	Type string
	// Data is the payload. It may contain CR, LF or CRLF; each line becomes
	// one "data:" line and readers get the lines back joined by LF.
	Data []byte
	// ID is the "id:" field, written only when HasID is set. An empty ID
	// is legal: it resets the reader's last event ID.
	ID string
	// HasID says whether ID is sent (writing) or was set by the stream
	// since the previous event (reading).
	HasID bool
	// Retry is the "retry:" field, the reconnection delay. It is written
	// in whole milliseconds (at least 1) when positive.
	Retry time.Duration
}

// ErrInvalidField is returned by [AppendEvent] when Type or ID contains a
// CR, LF or NUL. Such bytes would end the field early and let the rest of
// the value inject fields or whole events (or, for NUL in an id, make
// readers ignore the id), so they are refused rather than escaped.
var ErrInvalidField = errors.New("sse: event type or id contains CR, LF or NUL")

// AppendEvent appends the wire form of ev to dst and returns the extended
// slice. On error dst is returned unchanged.
//
// Every field is written as name, colon, one space, value, LF, in this
// order: "event: " (if Type != ""), "id: " (if HasID), "retry: " (if
// Retry > 0), then one "data: " line per payload line, then a blank line
// that dispatches the event. For example
//
//	Event{Type: "chat", ID: "7", HasID: true, Data: []byte("hi\n there")}
//
// is written as
//
//	event: chat\nid: 7\ndata: hi\ndata:  there\n\n
//
// The space after the colon is always written, so a value that itself
// starts with a space keeps it: readers strip exactly one. Data is split on
// CRLF, LF and lone CR; readers rejoin the lines with LF, so CR and CRLF
// come back as LF. That normalization is part of the SSE format and
// cannot be avoided. Empty Data still gives one "data: " line, so the
// event is delivered with empty data instead of being skipped. Bytes that
// are not valid UTF-8 are written as-is but readers decode them to U+FFFD;
// send binary with [AppendBinaryData].
//
// AppendEvent does not allocate beyond growing dst.
func AppendEvent(dst []byte, ev Event) ([]byte, error) {
	if err := checkField("event type", ev.Type); err != nil {
		return dst, err
	}
	if ev.HasID {
		if err := checkField("id", ev.ID); err != nil {
			return dst, err
		}
	}
	if ev.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, ev.Type...)
		dst = append(dst, '\n')
	}
	if ev.HasID {
		dst = append(dst, "id: "...)
		dst = append(dst, ev.ID...)
		dst = append(dst, '\n')
	}
	if ev.Retry > 0 {
		dst = appendRetryField(dst, ev.Retry)
	}
	dst = appendLines(dst, "data: ", ev.Data, bytes.IndexByte)
	return append(dst, '\n'), nil
}

// AppendComment appends text as comment lines (": text"), one per line of
// text (split on CRLF, LF and CR). Readers ignore comments; servers send
// them as keep-alives so that proxies do not close an idle stream. A
// comment does not end the current event.
func AppendComment(dst []byte, text string) []byte {
	return appendLines(dst, ": ", text, strings.IndexByte)
}

// AppendRetry appends a block that only sets the reader's reconnection
// delay: "retry: <ms>" followed by a blank line. Readers apply retry as
// soon as the line is read; the blank line is there so the block is
// self-contained and cannot merge with whatever is written next. It
// dispatches nothing because it has no data. d is written in whole
// milliseconds; a positive d below 1ms is written as 1 and d <= 0 as 0
// (reconnect at once).
func AppendRetry(dst []byte, d time.Duration) []byte {
	return append(appendRetryField(dst, d), '\n')
}

func appendRetryField(dst []byte, d time.Duration) []byte {
	ms := int64(0)
	if d > 0 {
		ms = max(int64(d/time.Millisecond), 1)
	}
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, ms, 10)
	return append(dst, '\n')
}

func checkField(what, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("%w: %s %.64q", ErrInvalidField, what, v)
	}
	return nil
}

// appendLines writes prefix+line+LF for each line of text, split on CRLF,
// LF and CR; empty text gives one line. index is bytes.IndexByte or
// strings.IndexByte. The next LF is remembered between lines so that text
// made of many CR-terminated lines is still scanned in linear time.
func appendLines[T string | []byte](dst []byte, prefix string, text T, index func(T, byte) int) []byte {
	lf := index(text, '\n')
	for {
		end := len(text)
		if lf >= 0 {
			end = lf
		}
		i := index(text[:end], '\r')
		if i < 0 {
			i = lf
		}
		dst = append(dst, prefix...)
		if i < 0 {
			dst = append(dst, text...)
			return append(dst, '\n')
		}
		dst = append(dst, text[:i]...)
		dst = append(dst, '\n')
		n := i + 1
		if text[i] == '\r' && n < len(text) && text[n] == '\n' {
			n++
		}
		text = text[n:]
		if lf >= 0 {
			if lf -= n; lf < 0 {
				lf = index(text, '\n')
			}
		}
	}
}
