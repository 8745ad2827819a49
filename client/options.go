package client

import (
	"net/http"
	"time"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// Transport chooses how Dial connects.
type Transport string

const (
	// TransportAuto tries WebSocket, then SSE. Default.
	TransportAuto Transport = ""
	// TransportWebSocket connects over WebSocket only.
	TransportWebSocket Transport = "websocket"
	// TransportSSE connects over bidirectional SSE only.
	TransportSSE Transport = "sse"
)

// Options configure [Dial]. nil or the zero value gives the defaults.
type Options struct {
	// Transport chooses the transports to try. Default TransportAuto.
	Transport Transport
	// HTTPClient makes the requests of both transports, where
	// WebSocket.HTTPClient or SSE.HTTPClient are not set. Its Timeout must
	// be zero: an SSE stream lasts as long as the Conn. Default: each
	// transport's own.
	HTTPClient *http.Client
	// HTTPHeader is added to the requests of both transports (cookies,
	// Authorization, ...), under the transport's own HTTPHeader.
	HTTPHeader http.Header
	// WebSocketTimeout bounds the WebSocket attempt before Dial falls back
	// to SSE. Default 5 s; it only applies with TransportAuto.
	WebSocketTimeout time.Duration
	// WebSocket configures the WebSocket transport (sub-protocols,
	// compression, ...).
	WebSocket websocket.DialOptions
	// SSE configures the SSE transport (uplink mode, reconnection, ...).
	SSE websocketsse.DialOptions
	// Reconnect is the WebSocket transport's reconnection policy: when
	// its connection drops, the Conn reconnects and resumes its peer
	// (see the package doc). Defaults: 5 attempts, from 250 ms up to
	// 10 s apart. MaxAttempts -1 gives a plain WebSocket (a drop ends
	// the Conn), which also works with servers other than anyws's.
	Reconnect websocketsse.Reconnect
}

// reconnect returns the WebSocket reconnection policy with its defaults.
func (o *Options) reconnect() websocketsse.Reconnect {
	r := o.Reconnect
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 5
	}
	if r.InitialDelay <= 0 {
		r.InitialDelay = 250 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 10 * time.Second
	}
	return r
}

const defaultWebSocketTimeout = 5 * time.Second

// transportOptions returns the options of each transport with the shared
// fields filled in.
func (o *Options) transportOptions() (websocket.DialOptions, websocketsse.DialOptions) {
	ws, es := o.WebSocket, o.SSE
	if ws.HTTPClient == nil {
		ws.HTTPClient = o.HTTPClient
	}
	if es.HTTPClient == nil {
		es.HTTPClient = o.HTTPClient
	}
	ws.HTTPHeader = mergeHeader(o.HTTPHeader, ws.HTTPHeader)
	es.HTTPHeader = mergeHeader(o.HTTPHeader, es.HTTPHeader)
	return ws, es
}

// mergeHeader returns shared with own's values added, or one of them when
// the other is empty.
func mergeHeader(shared, own http.Header) http.Header {
	switch {
	case len(shared) == 0:
		return own
	case len(own) == 0:
		return shared
	}
	out := shared.Clone()
	for k, v := range own {
		out[k] = append(out[k], v...)
	}
	return out
}
