package sse_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/splitread"
	"github.com/stretchr/testify/require"
)

// decoded is what a decoder made of one body: its messages and how it
// ended.
type decoded struct {
	msgs []string // "T:" or "B:" and the payload
	err  string   // "" or the status and text the POST is answered with
}

func decodeWith(decode func(io.Reader, func(anyws.Message) error) error, r io.Reader) decoded {
	var d decoded
	err := decode(r, func(m anyws.Message) error {
		kind := "T:"
		if m.IsBinary() {
			kind = "B:"
		}
		d.msgs = append(d.msgs, kind+string(m.Bytes()))
		return nil
	})
	if err != nil {
		d.err = fmt.Sprintf("%d %v", adapter.UplinkStatus(err), err)
	}
	return d
}

const fuzzMaxMessage = 64

// FuzzDecodeFramed: wherever the network splits a framed uplink, the
// same messages are delivered and the POST gets the same answer; every
// event complete before an error is delivered; text is valid UTF-8 and no
// message is over the limit.
func FuzzDecodeFramed(f *testing.F) {
	for _, s := range []string{
		"data: hi\n\nevent: binary\ndata: AAE=\n\n",
		"data:\n\n\xf30",
		"data: a\n\ndata: b",
		"data: a\n\ndata: b\n",
		"data: \xc3\n\n",
		"event: x\ndata\n\n",
		"data: ok\n\nevent: binary\ndata: !!\n\n",
		"data: 0123456789012345678901234567890123456789012345678901234567890123456789\n\n",
		"event: binary\ndata: " + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB" + "\n\n",
	} {
		f.Add([]byte(s), uint64(1))
	}
	decode := func(r io.Reader, deliver func(anyws.Message) error) error {
		return adapter.DecodeFramed(r, fuzzMaxMessage, deliver)
	}
	f.Fuzz(func(t *testing.T, body []byte, seed uint64) {
		if len(body) > 1<<16 {
			t.Skip()
		}
		want := decodeWith(decode, bytes.NewReader(body))
		for _, m := range want.msgs {
			require.LessOrEqual(t, len(m)-2, fuzzMaxMessage)
			require.True(t, m[0] == 'B' || utf8.ValidString(m), "invalid UTF-8 text delivered: %q", m)
		}
		if !utf8.Valid(body) {
			require.NotEmpty(t, want.err, "invalid UTF-8 body accepted")
		}
		require.NotContains(t, want.err, "EOF", "EOF leaked as an error")
		for _, w := range splitread.Ways(body, seed) {
			require.Equal(t, want, decodeWith(decode, w.New()), w.Name)
		}
	})
}

// FuzzDecodeRaw: crossws's raw stream has no message boundaries, so only
// their concatenation is the same under every split; the answer is the
// same, every message is valid non-empty UTF-8 within the buffer size,
// and every valid byte before an invalid one is delivered first.
func FuzzDecodeRaw(f *testing.F) {
	for _, s := range []string{
		"hello",
		"héllo wörld 😀",
		"ab\xff",
		"x\xc3",
		"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
		"\xed\xa0\x80",
	} {
		f.Add([]byte(s), uint64(1))
	}
	const small, big = 8, 32
	decode := func(r io.Reader, deliver func(anyws.Message) error) error {
		return adapter.DecodeRaw(r, small, big, deliver)
	}
	f.Fuzz(func(t *testing.T, body []byte, seed uint64) {
		if len(body) > 1<<16 {
			t.Skip()
		}
		valid := validPrefix(body)
		for _, w := range splitread.Ways(body, seed) {
			d := decodeWith(decode, w.New())
			var all []byte
			for _, m := range d.msgs {
				require.Equal(t, "T:", m[:2], w.Name)
				require.True(t, len(m) > 2 && len(m)-2 <= big+utf8.UTFMax, "%s: message of %d bytes", w.Name, len(m)-2)
				require.True(t, utf8.ValidString(m[2:]), "%s: %q", w.Name, m)
				all = append(all, m[2:]...)
			}
			require.Equal(t, string(valid), string(all), w.Name)
			if len(valid) == len(body) {
				require.Empty(t, d.err, w.Name)
			} else {
				require.Equal(t, fmt.Sprintf("400 %v", adapter.ErrInvalidText), d.err, w.Name)
			}
		}
	})
}

// validPrefix is the longest prefix of b that is valid UTF-8.
func validPrefix(b []byte) []byte {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		n += size
	}
	return b[:n]
}
