package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws/internal/utf8fix"
)

// ErrTooLarge is returned by [Parser.Next] when a line or the data of one
// event exceeds the parser's maxEventSize. It is wrapped with detail; test
// for it with errors.Is.
var ErrTooLarge = errors.New("sse: event too large")

const (
	// DefaultMaxEventSize is the maxEventSize [NewParser] uses for 0.
	DefaultMaxEventSize = 1 << 20
	// lineSlack lets a line exceed maxEventSize by the field name, so a
	// data line carrying exactly maxEventSize bytes is still accepted.
	lineSlack    = 64
	readBufSize  = 4096
	maxEmptyRead = 100
)

var bom = []byte("\xEF\xBB\xBF")

// Parser reads events from a Server-Sent Events stream exactly as the
// WHATWG HTML Standard ("Interpreting an event stream") says a browser's
// EventSource does. It reads through its own buffer, so it may read past
// the last event it returned. A Parser is not safe for concurrent use.
type Parser struct {
	r       io.Reader
	maxData int
	maxLine int

	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	lf         int   // index of the next LF in buf[start:end], end if none; stale if < start
	rerr       error // error from r, reported once buf is drained
	err        error // sticky error returned by Next
	bomDone    bool
	skipLF     bool   // last line ended with CR: an LF right after it is part of that line end
	line       []byte // a line that spans several reads
	partial    bool   // the stream ended inside a line
	inEvent    bool   // a data or event line was read since the last blank line

	data     []byte // data buffer
	typ      []byte // event type buffer
	idBuf    []byte // last event ID buffer
	lastID   []byte // last event ID, committed at each blank line
	lastIDs  string // lastID as a string, made when asked for (idString)
	idStale  bool   // lastIDs is not lastID
	omitIDs  bool   // OmitEventIDs: Event.ID is left empty
	idSet    bool   // an id field was processed since the last dispatched event
	evRetry  time.Duration
	retry    time.Duration
	hasRetry bool
	prevType string // the last Type returned, reused to avoid allocating
}

// NewParser returns a parser reading from r. maxEventSize bounds memory:
// an event whose data exceeds it, or a line longer than it plus a few
// bytes for the field name, makes Next return [ErrTooLarge]. 0 or less
// means [DefaultMaxEventSize].
func NewParser(r io.Reader, maxEventSize int) *Parser {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	return &Parser{
		r:       r,
		maxData: maxEventSize,
		maxLine: maxEventSize + lineSlack,
		buf:     make([]byte, readBufSize),
		lf:      -1,
	}
}

// Next returns the next dispatched event. Lines are processed as the spec
// says; a blank line dispatches an event only if at least one data field
// was seen (so "data" or "data:" alone gives an event with empty data).
// The returned event holds:
//
//   - Type: the event field, or "message" if there was none (as a
//     browser's MessageEvent.type).
//   - Data: the data lines joined by LF. It is a fresh slice the caller may
//     keep. Invalid UTF-8 is replaced by U+FFFD as browsers do, in Type
//     and ID too.
//   - ID: the last event ID at dispatch time, as MessageEvent.lastEventId.
//     It persists across events until an id field changes it; "id" with an
//     empty value resets it to "".
//   - HasID: whether a valid id field was read since the previous
//     dispatched event, i.e. whether this event carries its own id (which
//     may be the empty reset). Re-encoding parsed events with
//     [AppendEvent] therefore reproduces the same IDs downstream.
//   - Retry: the last valid retry field read since the previous dispatched
//     event, 0 if none ("retry: 0" also reads as 0; [Parser.Retry] tells
//     them apart).
//
// At the end of the stream Next returns io.EOF, and an event that was not
// terminated by a blank line is dropped, as the spec requires. Any other
// read error is returned as is. Errors are sticky: once Next has returned
// an error it returns the same error forever.
func (p *Parser) Next() (Event, error) {
	if p.err != nil {
		return Event{}, p.err
	}
	for {
		line, err := p.readLine()
		if err != nil {
			p.err = err
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := p.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := p.processLine(line); err != nil {
			p.err = err
			return Event{}, err
		}
	}
}

// Unterminated reports whether the stream ended inside an event: in the
// middle of a line, or after a data or event line that no blank line
// followed. Such an event is dropped, as the spec says a browser does;
// a reader for which every byte counts (an uplink decoder) calls this
// after io.EOF to refuse the stream instead of losing its end silently.
func (p *Parser) Unterminated() bool { return p.partial || p.inEvent }

// LastEventID returns the event source's last event ID string: the value a
// reconnecting client sends as the Last-Event-ID header. Per spec it is
// taken from the id buffer at each blank line, so an id read in an event
// that never completed (the stream broke first) is not reported and that
// event is asked for again.
func (p *Parser) LastEventID() string { return p.idString() }

// LastEventIDBytes is LastEventID without making a string: valid until
// the next call to Next.
func (p *Parser) LastEventIDBytes() []byte { return p.lastID }

// OmitEventIDs makes Next leave Event.ID empty (HasID is still set), for
// a reader that only needs [Parser.LastEventID] when the stream ends: a
// resumable stream gives every event its own id, and making a string of
// each was a client's largest cost per event after the data itself.
func (p *Parser) OmitEventIDs() { p.omitIDs = true }

// idString returns the last event ID as a string, making it only when it
// changed since the last call.
func (p *Parser) idString() string {
	if p.idStale {
		p.lastIDs, p.idStale = string(p.lastID), false
	}
	return p.lastIDs
}

// Retry returns the latest valid reconnection time read from the stream,
// and false if none was. Per spec it applies as soon as the retry line is
// read, whether or not an event is dispatched after it. Values with
// anything but ASCII digits, empty values and values too large for a
// time.Duration are ignored.
func (p *Parser) Retry() (time.Duration, bool) { return p.retry, p.hasRetry }

func (p *Parser) processLine(line []byte) error {
	if line[0] == ':' {
		return nil // comment
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		p.inEvent = true
		p.typ = utf8fix.Append(p.typ[:0], value)
	case "data":
		p.inEvent = true
		if len(p.data)+len(value) > p.maxData {
			return p.tooLarge("event data", len(p.data)+len(value))
		}
		p.data = utf8fix.Append(p.data, value)
		if len(p.data) > p.maxData {
			return p.tooLarge("event data", len(p.data))
		}
		p.data = append(p.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) >= 0 {
			return nil
		}
		if utf8.Valid(value) {
			p.idBuf = append(p.idBuf[:0], value...)
		} else {
			p.idBuf = utf8fix.Append(p.idBuf[:0], value)
		}
		p.idSet = true
	case "retry":
		if d, ok := parseRetry(value); ok {
			p.retry, p.hasRetry, p.evRetry = d, true, d
		}
	}
	return nil
}

func (p *Parser) dispatch() (Event, bool) {
	if !bytes.Equal(p.lastID, p.idBuf) {
		p.lastID, p.idStale = append(p.lastID[:0], p.idBuf...), true
	}
	p.inEvent = false
	if len(p.data) == 0 {
		p.typ = p.typ[:0]
		return Event{}, false
	}
	ev := Event{
		Type:  "message",
		Data:  bytes.Clone(p.data[:len(p.data)-1]), // strip the last LF; never nil
		HasID: p.idSet,
		Retry: p.evRetry,
	}
	if !p.omitIDs {
		ev.ID = p.idString()
	}
	if len(p.typ) > 0 {
		if string(p.typ) != p.prevType {
			p.prevType = string(p.typ)
		}
		ev.Type = p.prevType
	}
	p.data, p.typ = p.data[:0], p.typ[:0]
	p.idSet, p.evRetry = false, 0
	return ev, true
}

func (p *Parser) tooLarge(what string, n int) error {
	return fmt.Errorf("%w: %s of %d bytes exceeds %d", ErrTooLarge, what, n, p.maxData)
}

// parseRetry accepts only ASCII digits, as the spec says; it also rejects
// the empty value (as browsers do) and values that overflow.
func parseRetry(v []byte) (time.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	const maxMS = int64(1<<63-1) / int64(time.Millisecond)
	var ms int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		ms = ms*10 + int64(c-'0')
		if ms > maxMS {
			return 0, false
		}
	}
	return time.Duration(ms) * time.Millisecond, true
}
