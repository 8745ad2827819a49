package sse_test

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/anyws/anyws/internal/sse"
)

func BenchmarkAppendEvent(b *testing.B) {
	cases := []struct {
		name string
		ev   sse.Event
	}{
		{"short", sse.Event{Type: "chat", ID: "42", HasID: true, Data: []byte(`{"text":"hello"}`)}},
		{"multi-line", sse.Event{Data: []byte(strings.Repeat("a line of text in a longer payload\r\n", 32))}},
		{"large", sse.Event{Data: bytes.Repeat([]byte("x"), 64<<10)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf, err := sse.AppendEvent(nil, c.ev)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, err = sse.AppendEvent(buf[:0], c.ev)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParser(b *testing.B) {
	cases := []struct {
		name string
		ev   sse.Event
	}{
		{"short", sse.Event{Type: "chat", ID: "42", HasID: true, Data: []byte(`{"text":"hello"}`)}},
		{"multi-line", sse.Event{Data: []byte(strings.Repeat("a line of text in a longer payload\n", 32))}},
		{"large", sse.Event{Data: bytes.Repeat([]byte("x"), 64<<10)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchParse(b, func(int) sse.Event { return c.ev }, false)
		})
	}
}

// BenchmarkParserIDs reads the chat's tiny events as a resumable stream
// sends them (each with its own id, `<key>:<seq>`) and without ids: what
// the id costs a client per event.
func BenchmarkParserIDs(b *testing.B) {
	for _, c := range []struct {
		name           string
		withID, omitID bool
	}{{"plain", false, false}, {"resumable", true, false}, {"resumable-omit-ids", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			benchParse(b, func(n int) sse.Event {
				ev := sse.Event{Data: []byte(`hello world 1234`)}
				if c.withID {
					ev.ID, ev.HasID = "Zx3f9Qk2LmP0aB7cD1eF4g:"+strconv.Itoa(n), true
				}
				return ev
			}, c.omitID)
		})
	}
}

// benchParse parses a 1 MiB stream of the events event(1), event(2), …
func benchParse(b *testing.B, event func(n int) sse.Event, omitIDs bool) {
	var stream []byte
	for n := 1; len(stream) < 1<<20; n++ {
		var err error
		if stream, err = sse.AppendEvent(stream, event(n)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	r := bytes.NewReader(stream)
	for b.Loop() {
		r.Reset(stream)
		p := sse.NewParser(r, 0)
		if omitIDs {
			p.OmitEventIDs()
		}
		for {
			if _, err := p.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
