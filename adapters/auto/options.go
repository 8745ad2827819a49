package auto

import (
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
)

// Options configure a Handler. The zero value (or nil) gives the defaults
// of both adapters.
type Options struct {
	// Hooks for this route, on every transport. They run after the Hub's
	// (see anyws.Hooks; ReplaceHub replaces them instead). WebSocket.Hooks
	// and SSE.Hooks, when set, take precedence hook by hook for their
	// transport.
	Hooks anyws.Hooks
	// OriginPatterns allow cross-origin browsers on every transport (see
	// websocket.Options.OriginPatterns). Used where WebSocket or SSE set
	// none of their own.
	OriginPatterns []string
	// TrustForwarded trusts a reverse proxy's X-Forwarded-Host and
	// X-Forwarded-Proto (or Forwarded) headers in the same-origin rule of
	// every transport (see websocket.Options.TrustForwarded). Default
	// false.
	TrustForwarded bool
	// WebSocket configures the WebSocket transport.
	WebSocket websocket.Options
	// SSE configures the SSE transport. It is always bidirectional: the
	// Bidirectional field is ignored.
	SSE sse.Options
	// Fallback serves every request that is none of a WebSocket upgrade,
	// an event-stream GET, an uplink POST or a GET for the JavaScript
	// client: the application's pages, say. nil answers them with 406
	// (a GET), 400 (a POST without token) or 405 (other methods), each
	// with a text body that says what to send instead.
	Fallback http.Handler
	// DisableWebSocket refuses WebSocket upgrades with 403, as a proxy
	// that blocks them would, so clients use SSE. It is for networks that
	// mangle upgrades in ways a client cannot detect, and for testing the
	// fallback of the JavaScript client.
	DisableWebSocket bool
}

// transportOptions returns the options of each adapter with the shared
// fields filled in.
func (o *Options) transportOptions() (websocket.Options, sse.Options) {
	var opts Options
	if o != nil {
		opts = *o
	}
	ws, es := opts.WebSocket, opts.SSE
	ws.Hooks = mergeHooks(ws.Hooks, opts.Hooks)
	es.Hooks = mergeHooks(es.Hooks, opts.Hooks)
	if ws.OriginPatterns == nil {
		ws.OriginPatterns = opts.OriginPatterns
	}
	if es.OriginPatterns == nil {
		es.OriginPatterns = opts.OriginPatterns
	}
	ws.TrustForwarded = ws.TrustForwarded || opts.TrustForwarded
	es.TrustForwarded = es.TrustForwarded || opts.TrustForwarded
	es.Bidirectional = true
	return ws, es
}

// mergeHooks returns h with each nil hook taken from def.
func mergeHooks(h, def anyws.Hooks) anyws.Hooks {
	if h.Upgrade == nil {
		h.Upgrade = def.Upgrade
	}
	if h.Open == nil {
		h.Open = def.Open
	}
	if h.Message == nil {
		h.Message = def.Message
	}
	if h.Close == nil {
		h.Close = def.Close
	}
	if h.Error == nil {
		h.Error = def.Error
	}
	h.ReplaceHub = h.ReplaceHub || def.ReplaceHub
	return h
}
