package websocket

import (
	"time"

	"github.com/anyws/anyws"
)

// Options configure a Handler. The zero value (or nil) gives the defaults.
type Options struct {
	// Hooks for this route. Each runs after the Hub's hook of the same
	// kind, as crossws's route hooks run after its global ones, unless
	// Hooks.ReplaceHub is set (see anyws.Hooks).
	Hooks anyws.Hooks
	// OriginPatterns allow cross-origin browsers. Requests without an
	// Origin header (not a browser) or from the same origin (the scheme,
	// host and port the request was sent to: https when it came over TLS,
	// and the Host header) are always allowed; others get 403 unless
	// their origin matches one of these patterns: a path.Match pattern
	// over the origin's host ("*.example.com", "localhost:*"), or over
	// scheme://host when it contains "://". "*" allows every origin.
	OriginPatterns []string
	// TrustForwarded makes the same-origin rule use the scheme and host
	// the browser used as a reverse proxy reports them (X-Forwarded-Proto
	// and X-Forwarded-Host, else Forwarded's proto= and host=) instead of
	// the request's own. Default false: turn it on only behind a proxy
	// that sets those headers itself, overwriting what clients send. A
	// proxy that forwards the Host header (nginx: proxy_set_header Host
	// $host) and does not terminate TLS needs none of this.
	TrustForwarded bool
	// DisableCompression turns permessage-deflate off. By default it is
	// negotiated when the client offers it, without context takeover (no
	// 32 KiB window kept per connection), for messages of 512 bytes or more.
	DisableCompression bool
	// ReadLimit is the largest message accepted, in bytes; a larger one
	// closes the peer with 1009. Default 1 MiB; negative means no limit.
	ReadLimit int64
	// PingInterval is how often an idle connection is pinged. Default
	// 25 s; negative disables pings.
	PingInterval time.Duration
	// PingTimeout is how long to wait for the pong before the connection
	// is considered dead and closed with 1006. Default 15 s.
	PingTimeout time.Duration
	// WriteTimeout bounds each batch of writes and the close handshake.
	// Default 10 s.
	WriteTimeout time.Duration
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.ReadLimit == 0 {
		out.ReadLimit = 1 << 20
	}
	if out.PingInterval == 0 {
		out.PingInterval = 25 * time.Second
	}
	if out.PingTimeout <= 0 {
		out.PingTimeout = 15 * time.Second
	}
	if out.WriteTimeout <= 0 {
		out.WriteTimeout = 10 * time.Second
	}
	return out
}
