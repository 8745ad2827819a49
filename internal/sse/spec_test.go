package sse_test

import (
	"strings"
	"time"

	"github.com/anyws/anyws/internal/sse"
)

// This file holds a deliberately naive reference implementation, written
// as a line-by-line transcription of the WHATWG texts, independent of the
// package code. Tests and fuzz targets compare the package against it.

// refDecode is the Encoding Standard's "UTF-8 decode" without BOM
// handling: the UTF-8 decoder with replacement, byte by byte.
func refDecode(b []byte) string {
	var out []rune
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; ; {
		if i == len(b) {
			if needed != 0 {
				out = append(out, 0xFFFD)
			}
			return string(out)
		}
		c := b[i]
		if needed == 0 {
			switch {
			case c <= 0x7F:
				out = append(out, rune(c))
			case c >= 0xC2 && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				}
				if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0xF)
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				}
				if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x7)
			default:
				out = append(out, 0xFFFD)
			}
			i++
			continue
		}
		if c < lower || c > upper {
			cp, needed, seen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out = append(out, 0xFFFD)
			continue // the byte is processed again
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		i++
		if seen == needed {
			out = append(out, cp)
			cp, needed, seen = 0, 0, 0
		}
	}
}

// refResult is what a stream yields: the events, and the parser state at
// the end of the stream.
type refResult struct {
	Events   []sse.Event
	LastID   string
	Retry    time.Duration
	HasRetry bool
}

// refParse interprets a whole stream as HTML "Interpreting an event
// stream" says, with the package's documented choices for HasID, Retry and
// retry overflow.
func refParse(stream []byte) refResult {
	if strings.HasPrefix(string(stream), "\xEF\xBB\xBF") {
		stream = stream[3:]
	}
	text := refDecode(stream)
	var lines []string
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			break // an unterminated line is never processed
		}
		lines = append(lines, text[:i])
		if strings.HasPrefix(text[i:], "\r\n") {
			i++
		}
		text = text[i+1:]
	}
	var (
		res              refResult
		data, typ, idBuf string
		idSet            bool
		evRetry          time.Duration
		maxMS            = int64(1<<63-1) / int64(time.Millisecond)
	)
	for _, line := range lines {
		if line == "" {
			res.LastID = idBuf
			if data == "" {
				data, typ = "", ""
				continue
			}
			data = strings.TrimSuffix(data, "\n")
			ev := sse.Event{Type: typ, Data: []byte(data), ID: res.LastID, HasID: idSet, Retry: evRetry}
			if ev.Type == "" {
				ev.Type = "message"
			}
			res.Events = append(res.Events, ev)
			data, typ, idSet, evRetry = "", "", false, 0
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			typ = value
		case "data":
			data += value + "\n"
		case "id":
			if !strings.ContainsRune(value, 0) {
				idBuf, idSet = value, true
			}
		case "retry":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				continue
			}
			var ms int64
			for _, c := range value {
				ms = ms*10 + int64(c-'0')
				if ms > maxMS {
					break
				}
			}
			if ms <= maxMS {
				res.Retry = time.Duration(ms) * time.Millisecond
				res.HasRetry, evRetry = true, res.Retry
			}
		}
	}
	return res
}
