package sse_test

import (
	"strings"
	"testing"
	"time"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestIdleStreamOutlivesWriteTimeout: a stream that stays quiet for
// several write timeouts (keep-alives on) is not reset by its write
// deadline, which on HTTP/2 stays set between writes (h2deadline.go) and
// on HTTP/1.1 moves only when a write comes: a message sent afterwards
// arrives on the same stream.
func TestIdleStreamOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{
				// Keep-alives further apart than the write timeout: the
				// deadline must cover the quiet time between them.
				WriteTimeout: 400 * time.Millisecond, KeepAlive: time.Second, Retry: -1,
			}})
			c := open(t, e.client, e.url)
			p := e.rec.peer(t)
			require.NoError(t, p.Send("first"))
			require.Equal(t, "first", c.message(t))
			// Quiet for several write timeouts; keep-alives come and go.
			require.Eventually(t, func() bool {
				return strings.Count(c.rawString(), ": keep-alive\n") >= 3
			}, wait, 10*time.Millisecond, "three keep-alives")
			require.NoError(t, p.Send("after a quiet while"))
			require.Equal(t, "after a quiet while", c.message(t))
			require.Len(t, e.hub.Peers(), 1, "the same stream, the same peer")
		})
	}
}
