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
			var stream []byte
			for len(stream) < 1<<20 {
				var err error
				stream, err = sse.AppendEvent(stream, c.ev)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			r := bytes.NewReader(stream)
			for b.Loop() {
				r.Reset(stream)
				p := sse.NewParser(r, 0)
				for {
					if _, err := p.Next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
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
		withID := c.withID
		b.Run(c.name, func(b *testing.B) {
			var stream []byte
			for n := 1; len(stream) < 1<<20; n++ {
				ev := sse.Event{Data: []byte(`hello world 1234`)}
				if withID {
					ev.ID, ev.HasID = "Zx3f9Qk2LmP0aB7cD1eF4g:"+strconv.Itoa(n), true
				}
				var err error
				if stream, err = sse.AppendEvent(stream, ev); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			r := bytes.NewReader(stream)
			for b.Loop() {
				r.Reset(stream)
				p := sse.NewParser(r, 0)
				if c.omitID {
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
		})
	}
}
