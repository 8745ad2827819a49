package sse_test

import (
	"net/http"
	"testing"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestStreamingUplinkLimits: one streaming uplink per peer by default
// (a second replaces the first, which ends with 404), and at most
// MaxStreamingUplinks on the Handler (429); one-message POSTs are not
// counted, and an ended uplink frees its place.
func TestStreamingUplinkLimits(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true, MaxStreamingUplinks: 2}})
			toks := make([]string, 3)
			for i := range toks {
				toks[i] = open(t, e.client, e.url).token(t)
			}
			a := startPost(t, e.client, e.url, toks[0], "application/octet-stream")
			a.write(t, "a")
			require.Equal(t, "a", e.rec.msg(t).Text())
			for _, ct := range []string{"text/event-stream", "application/octet-stream"} {
				sp := startPost(t, e.client, e.url, toks[0], ct)
				status, body := a.response(t)
				require.Equal(t, http.StatusNotFound, status, "the replaced uplink: %s", body)
				a = sp
			}
			a.write(t, "a2")
			require.Equal(t, "a2", e.rec.msg(t).Text(), "the newest uplink delivers")
			status, body := post(t, e.client, e.url, toks[0], "text/plain", []byte("one"))
			require.Equal(t, http.StatusNoContent, status, body)
			require.Equal(t, "one", e.rec.msg(t).Text())

			b := startPost(t, e.client, e.url, toks[1], "text/event-stream")
			b.write(t, "data: b\n\n")
			require.Equal(t, "b", e.rec.msg(t).Text())
			c := startPost(t, e.client, e.url, toks[2], "text/event-stream")
			status, body = c.response(t)
			requireAnywsError(t, status, http.StatusTooManyRequests, body, "MaxStreamingUplinks")

			status, body = a.finish(t)
			require.Equal(t, http.StatusOK, status, body)
			c = startPost(t, e.client, e.url, toks[2], "text/event-stream")
			c.write(t, "data: c\n\n")
			require.Equal(t, "c", e.rec.msg(t).Text())
			for _, sp := range []*streamPost{b, c} {
				status, body = sp.finish(t)
				require.Equal(t, http.StatusNoContent, status, body)
			}
		})
	}
}
