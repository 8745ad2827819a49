package sse_test

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/sse"
)

// FuzzParser checks the parser against the spec transcription in
// spec_test.go, whatever the chunking of the input, and checks that a
// small maxEventSize bounds every event.
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"",
		"data: hello\n\n",
		"\xEF\xBB\xBFdata: a\r\n\r\n",
		"event: e\rid: 1\rretry: 10\rdata: a\rdata\r\r",
		": comment\nid\x00: x\nid: a\x00b\ndata:  x\n\n",
		"data: a\n\rdata: b\r\r\n",
		"retry: 99999999999999999999\nretry: 12a\n",
		"data: \xF0\x9F\x98\xFF\xED\xA0\x80\n\n",
		"data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n",
		"data: partial",
	} {
		f.Add([]byte(s))
	}
	const small = 16
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > sse.DefaultMaxEventSize {
			t.Skip()
		}
		want := refParse(in)
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
			iotest.DataErrReader,
		} {
			got, err := parseAll(sse.NewParser(wrap(bytes.NewReader(in)), 0))
			require.ErrorIs(t, err, io.EOF)
			require.Equal(t, want, got)
		}

		got, err := parseAll(sse.NewParser(bytes.NewReader(in), small))
		if err != io.EOF {
			require.ErrorIs(t, err, sse.ErrTooLarge)
		}
		require.LessOrEqual(t, len(got.Events), len(want.Events))
		for i, ev := range got.Events {
			require.LessOrEqual(t, len(ev.Data), small)
			require.True(t, utf8.Valid(ev.Data) && utf8.ValidString(ev.Type) && utf8.ValidString(ev.ID))
			require.Equal(t, want.Events[i], ev)
		}
		if err == io.EOF {
			require.Equal(t, want, got)
		}
	})
}
