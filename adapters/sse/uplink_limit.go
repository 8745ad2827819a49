package sse

import (
	"fmt"
	"net/http"
	"sync"
)

// streamCount bounds the streaming uplinks open at a time, per peer
// (token) and per Handler: an idle one costs a connection or an HTTP/2
// stream, a goroutine and a read buffer, and needs nothing but a token.
type streamCount struct {
	mu    sync.Mutex
	total int
	per   map[string]int
}

// acquireStream counts one more streaming uplink for tok, or returns the
// error it is refused with: 409 over the peer's bound, 429 over the
// Handler's. release must be called once the uplink ended.
func (h *Handler) acquireStream(tok string) (release func(), err error) {
	perPeer, total := h.opts.MaxStreamingUplinksPerPeer, h.opts.MaxStreamingUplinks
	c := &h.streams
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case perPeer > 0 && c.per[tok] >= perPeer:
		return nil, &uplinkError{
			status: http.StatusConflict,
			msg:    fmt.Sprintf("anyws: this peer already has %d streaming uplink(s) open, its limit (Options.MaxStreamingUplinksPerPeer): send on the open one, or end it first", perPeer),
		}
	case total > 0 && c.total >= total:
		return nil, &uplinkError{
			status: http.StatusTooManyRequests,
			msg:    fmt.Sprintf("anyws: %d streaming uplinks are open on this server, its limit (Options.MaxStreamingUplinks): send one POST per message, or retry later", total),
		}
	}
	if c.per == nil {
		c.per = make(map[string]int)
	}
	c.per[tok]++
	c.total++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.per[tok]--; c.per[tok] <= 0 {
			delete(c.per, tok)
		}
		c.total--
	}, nil
}
