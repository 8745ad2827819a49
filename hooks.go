package anyws

import (
	"net/http"
)

// Hooks are the application's callbacks. A nil hook does nothing.
//
// The Hub's hooks run for every peer. Hooks given to an adapter (a
// route's) run after them, hook by hook, as crossws runs its global hooks
// and then the route's: authentication or logging in the Hub's hooks is
// never skipped, and a route's Upgrade runs only if the Hub's accepted
// (see [Chain]). A route whose hooks set ReplaceHub replaces the Hub's
// instead, hook by hook: the Hub's runs only where the route's is nil.
//
// Goroutines: for one peer, Open runs first, then Message calls one at a
// time in arrival order, then Close exactly once; no hook of that peer runs
// after Close. Hooks of different peers run concurrently. Inside a hook any
// Peer or Hub method may be called, including Send, Publish and Close on the
// same peer (they never block on the network); a hook that blocks delays
// only its own peer's next messages.
//
// A panic in a hook is recovered, reported to Error, and closes that peer
// with StatusInternalError; other peers are not affected.
type Hooks struct {
	// Upgrade runs on the request's goroutine before a connection is
	// accepted. It may reject the request by returning a *Rejection (any
	// other error is answered 500), add response headers, choose the
	// namespace, pick a sub-protocol and set per-peer values.
	Upgrade func(h *Handshake) error
	// Open runs when the peer is registered and may send: what it sends is
	// the first thing the client receives.
	Open func(p *Peer)
	// Message runs for each message the peer sends.
	Message func(p *Peer, m Message)
	// Close runs once when the peer is gone, whoever closed it. With
	// recovery on (Options.ResumeWindow), a peer whose connection dropped
	// is gone when its client has not resumed it within the window.
	Close func(p *Peer, c CloseInfo)
	// Disconnect runs when the peer's connection dropped and the peer
	// waits for its client to resume it (recovery on): messages sent
	// meanwhile are kept for it. Close follows if it does not come back.
	// The client's resume of the peer waits for Disconnect to return, so
	// a Disconnect that blocks keeps the client from its peer.
	Disconnect func(p *Peer, c CloseInfo)
	// Resume runs when a client got its peer back after a dropped
	// connection; what it missed is written to it next.
	Resume func(p *Peer)
	// Error reports problems that do not belong to one call: a panic in a
	// hook, an overflowed queue, a failed write. p is nil for errors that
	// concern no peer (a broker failure, for example).
	Error func(p *Peer, err error)

	// ReplaceHub, on a route's Hooks, makes each of its non-nil hooks
	// replace the Hub's instead of running after it. Ignored on the
	// Hub's own Hooks.
	ReplaceHub bool
}

// none reports whether h sets no hook: a route's hooks are then the
// Hub's.
func (h *Hooks) none() bool {
	return h.Upgrade == nil && h.Open == nil && h.Message == nil && h.Close == nil &&
		h.Disconnect == nil && h.Resume == nil && h.Error == nil
}

// or returns the hooks of a route h on a Hub whose hooks are def: def's
// then h's (Chain), or, with h.ReplaceHub, h with each nil hook replaced
// by the one from def.
func (h *Hooks) or(def *Hooks) Hooks {
	if !h.ReplaceHub {
		return Chain(*def, *h)
	}
	out := *h
	if out.Upgrade == nil {
		out.Upgrade = def.Upgrade
	}
	if out.Open == nil {
		out.Open = def.Open
	}
	if out.Message == nil {
		out.Message = def.Message
	}
	if out.Close == nil {
		out.Close = def.Close
	}
	if out.Error == nil {
		out.Error = def.Error
	}
	if out.Disconnect == nil {
		out.Disconnect = def.Disconnect
	}
	if out.Resume == nil {
		out.Resume = def.Resume
	}
	return out
}

// Handshake is what the Upgrade hook sees and shapes: the request, and
// the response and peer about to be created.
type Handshake struct {
	// Request is the HTTP request: the WebSocket handshake or the SSE GET.
	Request *http.Request
	// Header holds response headers to add to the 101 or the SSE response.
	Header http.Header
	// Namespace groups peers: Publish from a peer and Peer.Peers stay within
	// it. It defaults to the URL path.
	Namespace string
	// Protocols lists the sub-protocols the client offered
	// (Sec-WebSocket-Protocol), in its order. Read only.
	Protocols []string
	// Protocol is the sub-protocol to answer with. It must be one of
	// Protocols (or empty); anyws never echoes one the client did not offer.
	Protocol string

	hooks     *Hooks // shared by the peers of a route (never changed)
	values    map[string]any
	transport string
}

// Set stores a per-peer value, readable later with Peer.Get or [Value]; it
// is crossws's peer context.
func (u *Handshake) Set(key string, v any) {
	if u.values == nil {
		u.values = make(map[string]any)
	}
	u.values[key] = v
}

// Transport names the transport the request is for: "websocket" or "sse".
func (u *Handshake) Transport() string { return u.transport }
