// Package origin decides whether a browser request's Origin may talk to a
// handler: same origin always, others only when a pattern allows them. It
// is the one rule the WebSocket and SSE adapters share, so a deployment
// configures cross-origin access once.
package origin

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Check returns nil when r may proceed: it has no Origin header (not a
// browser, or a same-origin GET), its Origin's host equals the Host header,
// or it matches one of patterns. A pattern is a path.Match pattern over the
// origin's host ("*.example.com", "localhost:*") or, when it contains
// "://", over scheme://host. "*" allows every origin.
func Check(r *http.Request, patterns []string) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		if o == "null" && allowsAll(patterns) {
			return nil
		}
		return fmt.Errorf("origin %q is not a valid URL with a host", o)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(p), strings.ToLower(target))
		if err != nil {
			return fmt.Errorf("bad origin pattern %q: %w", p, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q is not allowed to connect to host %q (see the OriginPatterns option)", o, r.Host)
}

func allowsAll(patterns []string) bool {
	for _, p := range patterns {
		if p == "*" {
			return true
		}
	}
	return false
}
