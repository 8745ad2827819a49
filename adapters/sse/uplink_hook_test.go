package sse_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// The Upgrade hook sees uplink POSTs too: it can refuse one, and its
// headers are on the answer.
func TestUplinkRunsUpgradeHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		mode: h1,
		opts: &adapter.Options{Bidirectional: true},
		hooks: func(r *recorder) anyws.Hooks {
			h := r.hooks()
			h.Upgrade = func(u *anyws.Handshake) error {
				if strings.HasSuffix(u.Request.URL.RawQuery, "deny") {
					return &anyws.Rejection{Status: http.StatusUnauthorized, Body: "session expired"}
				}
				u.Header.Set("X-Seen", u.Request.Method)
				return nil
			}
			return h
		},
	})
	c := open(t, e.client, e.url)
	tok := c.token(t)

	status, body := post(t, e.client, e.url+"&deny", tok, "text/plain", []byte("refused"))
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "session expired", body)

	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader("accepted"))
	require.NoError(t, err)
	req.Header.Set(adapter.TokenHeader, tok)
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, http.MethodPost, resp.Header.Get("X-Seen"))
	require.Equal(t, "accepted", e.rec.msg(t).Text(), "only the accepted POST was delivered")
}
