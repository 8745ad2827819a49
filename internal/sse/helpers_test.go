package sse_test

import (
	"io"
	"strings"
	"testing/iotest"

	"github.com/anyws/anyws/internal/sse"
)

// readerKinds deliver the same bytes in different chunkings, so every
// parser test also covers line ends and BOMs split across reads, and data
// arriving together with io.EOF.
var readerKinds = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data-err", iotest.DataErrReader},
	{"one-byte-data-err", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) }},
}

// parseAll reads p to its first error and returns what it got.
func parseAll(p *sse.Parser) (refResult, error) {
	var res refResult
	for {
		ev, err := p.Next()
		if err != nil {
			res.LastID = p.LastEventID()
			res.Retry, res.HasRetry = p.Retry()
			return res, err
		}
		res.Events = append(res.Events, ev)
	}
}

// normalizeEOL rewrites CRLF and CR as LF, which is what the SSE format
// does to line endings inside a payload.
func normalizeEOL(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
