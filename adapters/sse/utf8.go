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

// validLen returns the length of the longest valid UTF-8 prefix of b.
func validLen(b []byte) int {
	if utf8.Valid(b) {
		return len(b)
	}
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		n += size
	}
	return n
}

// utf8Reader passes r through and fails with errInvalidUTF8 as soon as
// the bytes read are not valid UTF-8, even when a rune is split between
// reads. The read that meets an invalid byte returns the valid bytes
// before it together with the error, so a decoder sees everything that
// came before the error, however the network split the stream.
type utf8Reader struct {
	r     io.Reader
	carry [utf8.UTFMax]byte // an incomplete rune ending the bytes read so far
	k     int
	err   error // sticky errInvalidUTF8
}

func (v *utf8Reader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	b := p[:n]
	done := 0 // bytes of b checked
	if v.k > 0 && len(b) > 0 {
		var tmp [2 * utf8.UTFMax]byte
		t := append(append(tmp[:0], v.carry[:v.k]...), b[:min(len(b), utf8.UTFMax-v.k)]...)
		if !utf8.FullRune(t) {
			done = len(b) // all of b continues the rune, which is still incomplete
			v.k = copy(v.carry[:], t)
		} else {
			r, size := utf8.DecodeRune(t)
			if r == utf8.RuneError && size == 1 {
				v.err = errInvalidUTF8
				return 0, v.err
			}
			done = size - v.k
			v.k = 0
		}
	}
	if done < len(b) {
		rest := b[done:]
		cut, ok := cutUTF8(rest)
		if !ok {
			v.err = errInvalidUTF8
			return done + validLen(rest[:cut]), v.err
		}
		v.k = copy(v.carry[:], rest[cut:])
	}
	if err == io.EOF && v.k > 0 {
		// The stream ends inside a rune: the bytes of this read before
		// that rune are valid; the rune's own are held back.
		v.err = errInvalidUTF8
		return max(0, n-v.k), v.err
	}
	return n, err
}
