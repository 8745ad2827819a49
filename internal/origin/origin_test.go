package origin_test

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/anyws/anyws/internal/origin"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		origin   string
		patterns []string
		ok       bool
	}{
		{"no origin: not a browser", "", nil, true},
		{"same origin", "http://example.com", nil, true},
		{"same origin, other case", "http://EXAMPLE.com", nil, true},
		{"same origin, default port spelled out", "http://example.com:80", nil, true},
		{"other origin", "http://evil.test", nil, false},
		{"other port is another origin", "http://example.com:8080", nil, false},
		{"other scheme is another origin", "https://example.com", nil, false},
		{"host pattern", "https://app.example.org", []string{"*.example.org"}, true},
		{"host pattern, no match", "https://example.org", []string{"*.example.org"}, false},
		{"scheme pattern", "https://app.test", []string{"https://*.test"}, true},
		{"scheme pattern, wrong scheme", "http://app.test", []string{"https://*.test"}, false},
		{"star allows all", "http://evil.test", []string{"*"}, true},
		{"null origin refused", "null", nil, false},
		{"null origin with star", "null", []string{"*"}, true},
		{"garbage", "::not a url", nil, false},
		{"bad pattern", "http://a.test", []string{"["}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "http://example.com/ws", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			err := origin.Check(r, &origin.Rule{Patterns: tc.patterns})
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

// The scheme of a TLS request is https: an http page of the same host is
// another origin (a network attacker can write it).
func TestCheckTLS(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "https://example.com/ws", nil)
	r.TLS = &tls.ConnectionState{}
	r.Header.Set("Origin", "https://example.com")
	require.NoError(t, origin.Check(r, nil))
	r.Header.Set("Origin", "https://example.com:443")
	require.NoError(t, origin.Check(r, nil))
	r.Header.Set("Origin", "http://example.com")
	require.Error(t, origin.Check(r, nil))
}

// Behind a proxy the request's Host and scheme are the proxy's view of
// the backend; a proxy that says where the browser went (X-Forwarded-Host
// and -Proto, or Forwarded) is believed only when the handler trusts it.
func TestCheckForwarded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		origin  string
		headers map[string]string
		trust   bool
		ok      bool
	}{
		{"proxy rewrote Host, not trusted", "http://chat.example", map[string]string{"X-Forwarded-Host": "chat.example"}, false, false},
		{"X-Forwarded-Host trusted", "http://chat.example", map[string]string{"X-Forwarded-Host": "chat.example"}, true, true},
		{"X-Forwarded-Host list: the first is the browser's", "http://chat.example", map[string]string{"X-Forwarded-Host": "chat.example, inner.proxy"}, true, true},
		{"X-Forwarded-Host other host", "http://evil.test", map[string]string{"X-Forwarded-Host": "chat.example"}, true, false},
		{"TLS at the proxy, trusted", "https://chat.example", map[string]string{"X-Forwarded-Host": "chat.example", "X-Forwarded-Proto": "https"}, true, true},
		{"TLS at the proxy, scheme differs", "http://chat.example", map[string]string{"X-Forwarded-Host": "chat.example", "X-Forwarded-Proto": "https"}, true, false},
		{"TLS at the proxy, not trusted", "https://backend:3000", map[string]string{"X-Forwarded-Proto": "https"}, false, false},
		{"Forwarded", "https://chat.example", map[string]string{"Forwarded": `for=192.0.2.1;proto=https;host="chat.example", for=10.0.0.1;host=inner`}, true, true},
		{"Forwarded, not trusted", "https://chat.example", map[string]string{"Forwarded": "proto=https;host=chat.example"}, false, false},
		{"trusted, no forwarded headers: Host as is", "http://backend:3000", nil, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "http://backend:3000/ws", nil)
			r.Header.Set("Origin", tc.origin)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			err := origin.Check(r, &origin.Rule{TrustForwarded: tc.trust})
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
