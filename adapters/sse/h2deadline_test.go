package sse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/assert"
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
				// deadline must cover the quiet time between them. On
				// HTTP/2 a keep-alive may start about WriteTimeout
				// late (h2deadline.go); 400 ms was less than a loaded
				// machine's delay from the keep-alive's time to its
				// write, and the stream was reset.
				WriteTimeout: 2 * time.Second, KeepAlive: 2500 * time.Millisecond, Retry: -1,
			}})
			c := open(t, e.client, e.url)
			p := e.rec.peer(t)
			require.NoError(t, p.Send("first"))
			require.Equal(t, "first", c.message(t))
			// Quiet for several write timeouts; keep-alives come and go.
			if !assert.Eventually(t, func() bool {
				return strings.Count(c.rawString(), ": keep-alive\n") >= 3
			}, wait, 10*time.Millisecond) {
				closes := "none"
				select {
				case ce := <-e.rec.closed:
					closes = fmt.Sprintf("%+v", ce.info)
				default:
				}
				require.FailNow(t, "waited for three keep-alives", "got %d; the peer's close: %s",
					strings.Count(c.rawString(), ": keep-alive\n"), closes)
			}
			require.NoError(t, p.Send("after a quiet while"))
			require.Equal(t, "after a quiet while", c.message(t))
			require.Len(t, e.hub.Peers(), 1, "the same stream, the same peer")
		})
	}
}
