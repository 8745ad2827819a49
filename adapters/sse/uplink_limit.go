package sse

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// streamCount bounds the streaming uplinks open at a time, per peer
// (token) and per Handler: an idle one costs a connection or an HTTP/2
// stream, a goroutine and a read buffer, and needs nothing but a token.
//
// Over the peer's bound, a new uplink replaces the oldest one (which
// ends, answered 404) rather than being refused: a client whose uplink
// broke (a proxy's cut, a network change) opens a new one at once, while
// the server may not see the old one end for a long time (a dropped
// connection sends nothing), and only one client holds the token.
type streamCount struct {
	mu    sync.Mutex
	total int
	per   map[string][]*streamSlot
}

// streamSlot is one open streaming uplink.
type streamSlot struct {
	end context.CancelFunc // ends it (replaced)
}

// acquireStream counts one more streaming uplink for tok, which end ends,
// or returns the error it is refused with: 429 over the Handler's bound.
// Over the peer's bound the oldest of the peer's uplinks is ended.
// release must be called once the uplink ended.
func (h *Handler) acquireStream(tok string, end context.CancelFunc) (release func(), err error) {
	perPeer, total := h.opts.MaxStreamingUplinksPerPeer, h.opts.MaxStreamingUplinks
	c := &h.streams
	c.mu.Lock()
	defer c.mu.Unlock()
	if total > 0 && c.total >= total {
		return nil, &uplinkError{
			status: http.StatusTooManyRequests,
			msg:    fmt.Sprintf("anyws: %d streaming uplinks are open on this server, its limit (Options.MaxStreamingUplinks): send one POST per message, or retry later", total),
		}
	}
	if c.per == nil {
		c.per = make(map[string][]*streamSlot)
	}
	slots := c.per[tok]
	if perPeer > 0 && len(slots) >= perPeer {
		slots[0].end()
		slots = slots[1:]
	}
	slot := &streamSlot{end: end}
	c.per[tok] = append(slots, slot)
	c.total++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.total--
		slots := c.per[tok]
		for i, s := range slots {
			if s == slot {
				slots = append(slots[:i:i], slots[i+1:]...)
				break
			}
		}
		if len(slots) == 0 {
			delete(c.per, tok)
		} else {
			c.per[tok] = slots
		}
	}, nil
}
