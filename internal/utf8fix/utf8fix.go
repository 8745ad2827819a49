// Package utf8fix turns bytes into valid UTF-8 the way browsers do, so
// that every string anyws hands out or sends as text is one a browser
// would accept and decode the same way.
package utf8fix

import "unicode/utf8"

const replacement = "\uFFFD"

// Append appends src to dst with every maximal ill-formed subsequence
// replaced by one U+FFFD. That is what the WHATWG Encoding Standard's UTF-8
// decoder does, and the SSE spec decodes streams with it, so the parser
// yields exactly the strings a browser would. (Go's own helpers differ:
// ranging over a string gives one U+FFFD per bad byte and
// bytes.ToValidUTF8 one per run.) Line ends, colons and spaces are ASCII
// and can never be inside a multi-byte sequence, so decoding field by field
// gives the same result as decoding the whole stream.
func Append(dst, src []byte) []byte {
	if utf8.Valid(src) {
		return append(dst, src...)
	}
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, replacement...)
			src = src[illFormedLen(src):]
			continue
		}
		dst = append(dst, src[:n]...)
		src = src[n:]
	}
	return dst
}

// illFormedLen returns the length of the maximal ill-formed subsequence at
// the start of s, which must not start with a valid sequence: the lead byte
// and the continuation bytes that were still acceptable for it.
func illFormedLen(s []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch b := s[0]; {
	case b >= 0xC2 && b <= 0xDF:
		need = 1
	case b >= 0xE0 && b <= 0xEF:
		need = 2
		if b == 0xE0 {
			lo = 0xA0
		} else if b == 0xED {
			hi = 0x9F
		}
	case b >= 0xF0 && b <= 0xF4:
		need = 3
		if b == 0xF0 {
			lo = 0x90
		} else if b == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

// String returns s with every maximal ill-formed subsequence replaced by
// U+FFFD, as Append does; a valid s is returned as is, without a copy.
func String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(Append(nil, []byte(s)))
}

// Bytes returns b as valid UTF-8, as Append does: b itself when it is
// valid already, else a new slice.
func Bytes(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return Append(nil, b)
}
