package sse

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
	// Bidirectional turns on the uplink: the stream starts with a
	// crossws-id event carrying a secret token, and POSTs with that token
	// in x-crossws-id deliver messages. Default false: one-way SSE, where
	// a POST gets 405.
	Bidirectional bool
	// Retry is sent first on every stream as the client's reconnection
	// delay. Default 3 s; negative sends none (browsers then use their
	// own default).
	Retry time.Duration
	// KeepAlive is how long a stream may stay idle before a comment line
	// is written, so proxies and load balancers do not drop it. Every
	// write resets it. Default 15 s; negative disables keep-alives.
	KeepAlive time.Duration
	// WriteTimeout bounds each batch written to a stream (and the final
	// close event): a client that stops reading holds its stream for at
	// most this long before the peer is closed. On HTTP/2 with
	// keep-alives on, WriteTimeout + KeepAlive (the deadline stays set
	// between writes there: see h2deadline.go). Default 10 s.
	WriteTimeout time.Duration
	// MaxMessageBytes is the largest message a POST may carry: a bigger
	// one-message body or framed event gets 413. It also sizes the read
	// buffer of raw streaming uplinks, which split longer chunks. Default
	// 1 MiB.
	MaxMessageBytes int
	// UplinkTimeout bounds how long the body of a one-message POST may
	// take to arrive: a client that stalls mid-body is answered 408, so
	// it cannot hold a connection and a goroutine for free. (A server
	// ReadTimeout shorter than this still applies.) Streaming uplinks
	// have no such deadline; they end with their peer. Default 10 s.
	UplinkTimeout time.Duration
	// MaxStreamingUplinksPerPeer bounds the streaming uplinks (raw or
	// framed POSTs) one peer may have open at a time; one more replaces
	// the oldest, which ends (answered 404): a client whose uplink broke
	// opens a new one before the server may see the old one end.
	// Default 1, which is what crossws's and anyws's clients use;
	// negative means no limit.
	MaxStreamingUplinksPerPeer int
	// MaxStreamingUplinks bounds the streaming uplinks open at a time on
	// this Handler, all peers together; one more is answered 429. Each
	// idle one holds a connection (HTTP/1.1) or a stream (HTTP/2), a
	// goroutine and a small read buffer. Default 10,000; negative means
	// no limit.
	MaxStreamingUplinks int
	// OriginPatterns allow cross-origin browsers. Requests without an
	// Origin header or from the same origin (the scheme, host and port
	// the request was sent to: https when it came over TLS, and the Host
	// header) are always allowed; others get 403 unless their origin
	// matches one of these patterns (a path.Match pattern over the
	// origin's host, or over scheme://host when it contains "://"; "*"
	// allows every origin).
	OriginPatterns []string
	// TrustForwarded makes the same-origin rule use the scheme and host
	// the browser used as a reverse proxy reports them (X-Forwarded-Proto
	// and X-Forwarded-Host, else Forwarded's proto= and host=). Default
	// false: turn it on only behind a proxy that sets those headers
	// itself. See websocket.Options.TrustForwarded.
	TrustForwarded bool
}

const (
	defaultRetry           = 3 * time.Second
	defaultKeepAlive       = 15 * time.Second
	defaultWriteTimeout    = 10 * time.Second
	defaultMaxMessageBytes = 1 << 20
	defaultUplinkTimeout   = 10 * time.Second
	defaultStreamsPerPeer  = 1
	defaultMaxStreams      = 10000
	// rawReadSize caps the read buffer of a raw streaming uplink: each
	// read is one message, so the buffer need not hold a whole one.
	rawReadSize = 64 << 10
	// rawIdleReadSize is the buffer a raw streaming uplink waits with
	// (see decodeRaw): what an idle one holds.
	rawIdleReadSize = 2 << 10
)

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Retry == 0 {
		out.Retry = defaultRetry
	}
	if out.KeepAlive == 0 {
		out.KeepAlive = defaultKeepAlive
	}
	if out.WriteTimeout <= 0 {
		out.WriteTimeout = defaultWriteTimeout
	}
	if out.MaxMessageBytes <= 0 {
		out.MaxMessageBytes = defaultMaxMessageBytes
	}
	if out.UplinkTimeout <= 0 {
		out.UplinkTimeout = defaultUplinkTimeout
	}
	if out.MaxStreamingUplinksPerPeer == 0 {
		out.MaxStreamingUplinksPerPeer = defaultStreamsPerPeer
	}
	if out.MaxStreamingUplinks == 0 {
		out.MaxStreamingUplinks = defaultMaxStreams
	}
	return out
}
