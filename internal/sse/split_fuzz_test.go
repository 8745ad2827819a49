package sse_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/splitread"
	"github.com/anyws/anyws/internal/sse"
)

// FuzzParserSplit: wherever the network splits a stream, the parser
// returns the same events, the same error (text included), the same last
// event ID and retry, and the same verdict on an unterminated last event;
// with a small maxEventSize too, so the too-large error does not depend
// on chunking either.
func FuzzParserSplit(f *testing.F) {
	for _, s := range []string{
		"data: a\n\ndata: b\r\n\r\n",
		"data: partial",
		"data: pending\n",
		"event: x\r",
		"\xEF\xBB\xBFdata: bom\n\n",
		"data: \xf3\x80\n\n",
		"data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n",
		"data: 0123456789\ndata: 0123456789\n\n",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	} {
		f.Add([]byte(s), uint64(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		if len(in) > 1<<16 {
			t.Skip()
		}
		for _, limit := range []int{0, 16} {
			var (
				want     refResult
				wantErr  error
				wantOpen bool
			)
			for i, w := range splitread.Ways(in, seed) {
				p := sse.NewParser(w.New(), limit)
				got, err := parseAll(p)
				open := p.Unterminated()
				if i == 0 {
					want, wantErr, wantOpen = got, err, open
					continue
				}
				require.Equal(t, want, got, "%s, limit %d", w.Name, limit)
				require.Equal(t, wantErr.Error(), err.Error(), "%s, limit %d", w.Name, limit)
				require.Equal(t, wantOpen, open, "%s, limit %d", w.Name, limit)
			}
			if limit == 0 {
				// Unterminated is true exactly when the stream does not
				// end at a line end with no event pending.
				require.Equal(t, refUnterminated(in), wantOpen, "%q", in)
			}
		}
	})
}

// refUnterminated: the stream ends inside a line, or after a data or
// event line with no blank line after it.
func refUnterminated(in []byte) bool {
	in = bytes.TrimPrefix(in, []byte("\xEF\xBB\xBF"))
	if len(in) == 0 {
		return false
	}
	if bytes.HasPrefix([]byte("\xEF\xBB\xBF"), in) {
		return true // part of a BOM: an unterminated line
	}
	if c := in[len(in)-1]; c != '\n' && c != '\r' {
		return true
	}
	pending := false
	for _, line := range bytes.Split(normalizeLines(in), []byte("\n")) {
		switch {
		case len(line) == 0:
			pending = false
		case bytes.HasPrefix(line, []byte("data")) && (len(line) == 4 || line[4] == ':'),
			bytes.HasPrefix(line, []byte("event")) && (len(line) == 5 || line[5] == ':'):
			pending = true
		}
	}
	return pending
}

// normalizeLines turns CRLF and CR into LF and drops the final line end,
// so that splitting on LF gives the stream's lines.
func normalizeLines(in []byte) []byte {
	s := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
	s = bytes.ReplaceAll(s, []byte("\r"), []byte("\n"))
	return s[:len(s)-1]
}
