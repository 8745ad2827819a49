package sse_test

import (
	"testing"

	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/assert"
)

func TestShortIDClaim(t *testing.T) {
	for _, c := range []struct{ hello, last, want string }{
		{"k.n:0", "5", "k.n:5"},
		{"k.n:0", "k.n:7", "k.n:7"}, // the hello was the last event
		{"k.n:3", "", ""},
		{"", "5", ""}, // no hello on this stream: no key to claim with
		{"a:b:9", "12", "a:b:12"},
	} {
		assert.Equal(t, c.want, sse.ShortIDClaim(c.hello, c.last), "hello %q, last %q", c.hello, c.last)
	}
}
