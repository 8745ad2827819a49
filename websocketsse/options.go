package websocketsse

import (
	"net/http"
	"time"
)

// Uplink chooses how messages written with [Conn.Write] reach the server.
type Uplink int

const (
	// UplinkAuto uses the framed streaming POST when the event stream's
	// response came over HTTP/2 (TLS, or h2c when the client's transport
	// speaks it), where one long POST shares the connection with the
	// stream, and one POST per message otherwise. Default.
	UplinkAuto Uplink = iota
	// UplinkStream sends every message as one SSE event on one long
	// streaming POST (Content-Type: text/event-stream): over HTTP/2 or
	// HTTP/1.1 chunked. Write returns once the transport has taken the
	// frame; the server's verdict on it (413, 400, 404) comes at the end
	// of that POST and surfaces from the next Write, Read or Close. Over
	// HTTP/1.1, with a server that resumes peers, an idle uplink gets an
	// SSE comment line now and then (backing off to one per 15 s) while
	// the server may lack messages written into it, so that a dropped
	// connection is noticed and those messages are written again.
	UplinkStream
	// UplinkPerMessage sends every message as its own POST and Write
	// returns only after the server's 204, so each Write learns its own
	// fate. One round trip per message.
	UplinkPerMessage
)

func (u Uplink) String() string {
	switch u {
	case UplinkAuto:
		return "auto"
	case UplinkStream:
		return "stream"
	case UplinkPerMessage:
		return "per-message"
	}
	return "Uplink(?)"
}

// Reconnect is the policy for re-opening the event stream after it
// broke (network error, or the server ended the response without an
// `event: close`). It follows the WHATWG EventSource rules: the server's
// `retry:` is the base delay, the Last-Event-ID header is sent, a 204
// stops for good, and a non-200 or non-event-stream answer fails for good.
// The zero value gives the defaults.
type Reconnect struct {
	// MaxAttempts bounds consecutive failed attempts; the count starts
	// over once a reconnected stream has delivered a message. Default 5;
	// negative disables reconnection.
	MaxAttempts int
	// InitialDelay is the base delay when the server sent no `retry:`.
	// Default 1 s.
	InitialDelay time.Duration
	// MaxDelay caps the exponential backoff (the server's `retry:` is
	// honoured even above it). Default 30 s.
	MaxDelay time.Duration
}

// DialOptions configure [Dial]. nil or the zero value gives the defaults.
type DialOptions struct {
	// HTTPClient makes every request: the event stream GET and the uplink
	// POSTs. Its Timeout must be zero, since the stream lasts as long as
	// the Conn. It follows redirects for the GET; the uplink then posts
	// to the final URL. Default: a client of its own, closed with the
	// Conn, whose transport speaks HTTP/1.1 and HTTP/2 over TLS. For h2c,
	// pass a client whose Transport.Protocols has only UnencryptedHTTP2.
	HTTPClient *http.Client
	// HTTPHeader is added to every request (cookies, Authorization, ...).
	HTTPHeader http.Header
	// Uplink chooses how messages are sent. Default UplinkAuto.
	Uplink Uplink
	// Reconnect is the stream's reconnection policy.
	Reconnect Reconnect
	// MaxEventSize bounds one event's data and one line of the stream, so
	// a hostile or broken server cannot make the client buffer without
	// limit; a larger event fails the Conn with an error wrapping
	// websocket.ErrMessageTooBig. Default 1 MiB.
	MaxEventSize int
	// MaxQueuedMessages is how many received messages wait for Read.
	// When it is reached the client stops reading the stream, so a slow
	// reader pushes back on the server (which may close a peer that falls
	// too far behind). Default 256.
	MaxQueuedMessages int
}

const (
	defaultMaxEventSize      = 1 << 20
	defaultMaxQueuedMessages = 256
	defaultMaxAttempts       = 5
	defaultInitialDelay      = time.Second
	defaultMaxDelay          = 30 * time.Second
	// closeTimeout bounds how long Close waits for the uplink's answer.
	closeTimeout = 5 * time.Second
	// staleGrace is how long an uplink refused with 404 waits to learn
	// that the stream is reconnecting (its token went stale) before the
	// refusal is treated as an error.
	staleGrace = 2 * time.Second
)

func (o *DialOptions) withDefaults() DialOptions {
	var out DialOptions
	if o != nil {
		out = *o
	}
	if out.MaxEventSize <= 0 {
		out.MaxEventSize = defaultMaxEventSize
	}
	if out.MaxQueuedMessages <= 0 {
		out.MaxQueuedMessages = defaultMaxQueuedMessages
	}
	r := &out.Reconnect
	if r.MaxAttempts == 0 {
		r.MaxAttempts = defaultMaxAttempts
	}
	if r.InitialDelay <= 0 {
		r.InitialDelay = defaultInitialDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = defaultMaxDelay
	}
	return out
}
