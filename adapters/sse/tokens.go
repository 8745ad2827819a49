package sse

import (
	"strings"

	"github.com/anyws/anyws"
)

// tokens is what a Handler knows of uplink tokens. A token is the peer's
// secret (anyws.Session.Secret: 128 random bits, not the peer's public
// id, which chat apps show to everyone) and, when the Hub's broker can
// forward uplinks between nodes, a route naming this node and Handler
// (see forward.go). The Hub maps secrets to peers, so a token stays valid
// while its peer waits to be resumed, and across the Handlers of one Hub.
type tokens struct {
	// route is appended to every token when forwarding is on. Set by
	// New, read only after.
	route string
	fwd   *forwarder // nil without forwarding
}

// session returns the local peer's handle for tok, or nil.
func (h *Handler) session(tok string) *anyws.Session {
	secret, _, _ := strings.Cut(tok, ".")
	return h.hub.Lookup(secret)
}
