package sse

import (
	"errors"
	"io"
	"unicode/utf8"
)

var errInvalidUTF8 = errors.New("anyws: invalid UTF-8")

// cutUTF8 returns the length of the longest prefix of b that ends on a
// rune boundary, leaving out at most one incomplete (but so far valid)
// rune at the end, and whether that prefix is valid UTF-8.
func cutUTF8(b []byte) (n int, ok bool) {
	n = len(b)
	i := len(b) - 1
	for j := 0; i > 0 && j < utf8.UTFMax-1 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	if i >= 0 && !utf8.FullRune(b[i:]) {
		n = i
	}
	return n, utf8.Valid(b[:n])
}

// utf8Reader passes r through and fails with errInvalidUTF8, returning
// none of the offending read, as soon as the bytes read are not valid
// UTF-8, even when a rune is split between reads.
type utf8Reader struct {
	r     io.Reader
	carry [utf8.UTFMax]byte // an incomplete rune ending the last read
	k     int
}

func (v *utf8Reader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	b := p[:n]
	if v.k > 0 && len(b) > 0 {
		var tmp [2 * utf8.UTFMax]byte
		t := append(append(tmp[:0], v.carry[:v.k]...), b[:min(len(b), utf8.UTFMax-v.k)]...)
		if !utf8.FullRune(t) {
			v.k = copy(v.carry[:], t)
			b = b[:0]
		} else {
			r, size := utf8.DecodeRune(t)
			if r == utf8.RuneError && size == 1 {
				return 0, errInvalidUTF8
			}
			b = b[size-v.k:]
			v.k = 0
		}
	}
	cut, ok := cutUTF8(b)
	if !ok {
		return 0, errInvalidUTF8
	}
	v.k += copy(v.carry[v.k:], b[cut:])
	if err == io.EOF && v.k > 0 {
		return 0, errInvalidUTF8
	}
	return n, err
}
