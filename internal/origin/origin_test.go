package origin_test

import (
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
		{"other origin", "http://evil.test", nil, false},
		{"other port is another origin", "http://example.com:8080", nil, false},
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
			err := origin.Check(r, tc.patterns)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
