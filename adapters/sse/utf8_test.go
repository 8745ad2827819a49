package sse_test

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

func TestCutUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		ok   bool
		name string
	}{
		{"", 0, true, "empty"},
		{"abc", 3, true, "ascii"},
		{"é", 2, true, "complete 2-byte"},
		{"a\xc3", 1, true, "split 2-byte"},
		{"a\xe2\x82", 1, true, "split 3-byte"},
		{"a\xf0\x9f\x98", 1, true, "split 4-byte"},
		{"\xf0\x9f\x98\x80", 4, true, "complete 4-byte"},
		{"a\xff", 2, false, "invalid byte"},
		{"\x80", 1, false, "lone continuation"},
		{"a\xe0\x80", 3, false, "invalid second byte"},
		{"a\x80\x80\x80\x80", 5, false, "run of continuations"},
		{"\xed\xa0\x80", 3, false, "surrogate"},
	}
	for _, tc := range tests {
		n, ok := adapter.CutUTF8([]byte(tc.in))
		require.Equal(t, tc.n, n, tc.name)
		require.Equal(t, tc.ok, ok, tc.name)
	}
}

// TestUTF8Reader: under any chunking, the reader accepts exactly the
// valid UTF-8 inputs and passes them through unchanged.
func TestUTF8Reader(t *testing.T) {
	t.Parallel()
	inputs := []string{"", "plain", "héllo wörld 😀 ✓", "a\xffb", "end\xc3", "\xe2\x82", "ok\xe2\x82\xac", "\xed\xa0\x80"}
	for _, in := range inputs {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
			iotest.HalfReader,
			iotest.DataErrReader,
		} {
			got, err := io.ReadAll(adapter.NewUTF8Reader(wrap(bytes.NewReader([]byte(in)))))
			if utf8.ValidString(in) {
				require.NoError(t, err, "%q", in)
				require.Equal(t, in, string(got))
			} else {
				require.ErrorIs(t, err, adapter.ErrInvalidUTF8, "%q", in)
			}
		}
	}
}
