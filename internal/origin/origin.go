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

// Rule is a handler's origin policy. nil and the zero value allow the same
// origin only.
type Rule struct {
	// Patterns allow other origins: a path.Match pattern over the
	// origin's host ("*.example.com", "localhost:*") or, when it contains
	// "://", over scheme://host. "*" allows every origin.
	Patterns []string
	// TrustForwarded takes the host and scheme the browser used from the
	// proxy's X-Forwarded-Host and X-Forwarded-Proto headers (the first
	// value of each), or from Forwarded's host= and proto= when those are
	// absent. Only a proxy that sets (overwrites) them may be trusted:
	// otherwise any client could say which origin it is on.
	TrustForwarded bool
}

// Check returns nil when r may proceed: it has no Origin header (not a
// browser, or a same-origin GET), its Origin is the origin r was sent to
// (scheme, host and port, the default port of the scheme implied), or it
// matches one of rule's patterns.
//
// The origin r was sent to is https when r came over TLS, http
// otherwise, with the Host header; when rule trusts a proxy, the proxy's
// forwarded scheme and host replace them.
func Check(r *http.Request, rule *Rule) error {
	if rule == nil {
		rule = &Rule{}
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		if o == "null" && allowsAll(rule.Patterns) {
			return nil
		}
		return fmt.Errorf("origin %q is not a valid URL with a host", o)
	}
	scheme, host := target(r, rule.TrustForwarded)
	if strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(withoutDefaultPort(u.Scheme, u.Host), withoutDefaultPort(scheme, host)) {
		return nil
	}
	for _, p := range rule.Patterns {
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
	msg := fmt.Sprintf("origin %q is not allowed to connect to %s://%s (see the OriginPatterns option", o, scheme, host)
	if !rule.TrustForwarded && (r.Header.Get("X-Forwarded-Host") != "" || r.Header.Get("X-Forwarded-Proto") != "" || r.Header.Get("Forwarded") != "") {
		msg += ", and TrustForwarded if a proxy you run sets the forwarded headers"
	}
	return fmt.Errorf("%s)", msg)
}

// target returns the scheme and host r was sent to.
func target(r *http.Request, trustForwarded bool) (scheme, host string) {
	scheme, host = "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if !trustForwarded {
		return scheme, host
	}
	fwd := forwarded(r.Header.Get("Forwarded"))
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	} else if h := fwd["host"]; h != "" {
		host = h
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p != "" {
		scheme = strings.ToLower(p)
	} else if p := fwd["proto"]; p != "" {
		scheme = strings.ToLower(p)
	}
	return scheme, host
}

// firstValue returns the first of a comma-separated header's values: the
// one the proxy closest to the browser set.
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// forwarded parses the first element of a Forwarded header (RFC 7239):
// its parameters, lower-case names, values unquoted.
func forwarded(v string) map[string]string {
	if v == "" {
		return nil
	}
	elem, _, _ := strings.Cut(v, ",")
	out := make(map[string]string, 4)
	for _, pair := range strings.Split(elem, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			continue
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"`)
	}
	return out
}

// withoutDefaultPort drops the port of host when it is scheme's default,
// as browsers do in an Origin.
func withoutDefaultPort(scheme, host string) string {
	switch {
	case strings.EqualFold(scheme, "http"):
		return strings.TrimSuffix(host, ":80")
	case strings.EqualFold(scheme, "https"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

func allowsAll(patterns []string) bool {
	for _, p := range patterns {
		if p == "*" {
			return true
		}
	}
	return false
}
