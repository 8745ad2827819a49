package sse_test

import (
	"bytes"
	"testing"
	"testing/iotest"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestFramedUplinkDeliversBeforeError: the events complete before an
// error are delivered before the error, and a body whose last event has
// no blank line is refused, not answered 204 with the event dropped;
// over HTTP, whole or a byte at a time.
func TestFramedUplinkDeliversBeforeError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	c := open(t, e.client, e.url)
	tok := c.token(t)
	for _, tc := range []struct {
		body, contains string
		want           []string
	}{
		{"data:\n\n\xf30", "UTF-8", []string{""}},
		{"data: ok\n\ndata: b\xff\n\n", "UTF-8", []string{"ok"}},
		{"data: a\n\ndata: b", "blank line", []string{"a"}},
		{"data: a\n\ndata: b\n", "blank line", []string{"a"}},
		{"data: a\n\nevent: binary\n", "blank line", []string{"a"}},
	} {
		for _, oneByte := range []bool{false, true} {
			var got []string
			err := adapter.DecodeFramed(readerOf([]byte(tc.body), oneByte), 1024, func(m anyws.Message) error {
				got = append(got, m.Text())
				return nil
			})
			require.Error(t, err, "%q", tc.body)
			require.Contains(t, err.Error(), tc.contains, "%q", tc.body)
			require.Equal(t, 400, adapter.UplinkStatus(err))
			require.Equal(t, tc.want, got, "%q one byte at a time: %v", tc.body, oneByte)
		}
		status, body := post(t, e.client, e.url, tok, "text/event-stream", []byte(tc.body))
		requireAnywsError(t, status, 400, body, tc.contains)
		for _, w := range tc.want {
			require.Equal(t, w, e.rec.msg(t).Text(), "%q", tc.body)
		}
	}
	// Trailing comments and blank lines are fine.
	status, body := post(t, e.client, e.url, tok, "text/event-stream", []byte("data: x\n\n: bye\n\n\n"))
	require.Equal(t, 204, status, body)
	require.Equal(t, "x", e.rec.msg(t).Text())
}

func readerOf(b []byte, oneByte bool) interface{ Read([]byte) (int, error) } {
	if oneByte {
		return iotest.OneByteReader(bytes.NewReader(b))
	}
	return bytes.NewReader(b)
}
