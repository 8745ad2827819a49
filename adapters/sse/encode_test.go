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
