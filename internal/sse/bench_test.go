package sse_test

import (
	"bytes"
	"io"
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
