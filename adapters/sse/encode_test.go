package sse_test

import (
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestEncodeOnce: every subscriber of a publish gets the very same bytes.
func TestEncodeOnce(t *testing.T) {
	t.Parallel()
	f := anyws.NewPayload(anyws.Text("a\nb"))
	first := adapter.EncodePayload(f)
	require.Equal(t, "event: message\ndata: a\ndata: b\n\n", string(first))
	again := adapter.EncodePayload(f)
	require.Same(t, &first[0], &again[0])
	require.Equal(t, "event: message\ndata: data:application/octet-stream;base64,AP8=\n\n",
		string(adapter.EncodePayload(anyws.NewPayload(anyws.Binary([]byte{0, 0xff})))))
}

// TestEncodeEvent: a named event carries its name and comment lines, text
// or binary, and the bytes are still made once per payload.
func TestEncodeEvent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ev   anyws.Event
		want string
	}{
		{anyws.Event{Name: "ping", Data: "a\nb"}, "event: ping\ndata: a\ndata: b\n\n"},
		{anyws.Event{Name: "ping", Data: "x", Comment: "two\nlines"}, ": two\n: lines\nevent: ping\ndata: x\n\n"},
		{anyws.Event{Data: "x", Comment: "just a comment"}, ": just a comment\nevent: message\ndata: x\n\n"},
		{anyws.Event{Name: "message", Data: "x"}, "event: message\ndata: x\n\n"},
		{anyws.Event{Name: "bin", Data: []byte{0, 0xff}}, "event: bin\ndata: data:application/octet-stream;base64,AP8=\n\n"},
		{anyws.Event{Name: "ünï code", Data: map[string]int{"a": 1}}, "event: ünï code\ndata: {\"a\":1}\n\n"},
	}
	for _, c := range cases {
		m, err := c.ev.Message()
		require.NoError(t, err)
		f := anyws.NewPayload(m)
		got := adapter.EncodePayload(f)
		require.Equal(t, c.want, string(got))
		require.Same(t, &got[0], &adapter.EncodePayload(f)[0])
	}
}
