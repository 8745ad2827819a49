package anyws

import "log/slog"

// The peer lifecycle events the core reports to Options.Logger (and,
// where set, Options.Metrics). Each is one call at its place in
// resume.go and hub.go; what they do lives here.

// peerOpened: a new peer is registered (rs says whether the client had
// claimed an earlier one).
func (h *Hub) peerOpened(p *Peer, rs ResumeStatus) {
	if x := h.opts.Metrics; x != nil {
		x.Connected(p.transport)
		if rs.Attempted {
			x.ResumeClaimed(p.transport, rs.Reason)
		}
	}
	if rs.Attempted {
		h.logPeer(p, slog.LevelDebug, "anyws: peer opened", slog.String(LogReason, rs.Reason), slog.String(LogDetail, rs.why))
		return
	}
	h.logPeer(p, slog.LevelDebug, "anyws: peer opened")
}

// peerResumed: a client got its peer back.
func (h *Hub) peerResumed(p *Peer) {
	if x := h.opts.Metrics; x != nil {
		x.ResumeClaimed(p.transport, "resumed")
	}
	h.logPeer(p, slog.LevelDebug, "anyws: peer resumed")
}

// peerMovedIn: a client resumed here a peer that was on another node.
func (h *Hub) peerMovedIn(p *Peer) {
	if x := h.opts.Metrics; x != nil {
		x.Connected(p.transport)
		x.ResumeClaimed(p.transport, "resumed")
	}
	h.logPeer(p, slog.LevelDebug, "anyws: peer resumed from another node")
}

// peerDetached: the connection dropped and the peer waits for a resume.
func (h *Hub) peerDetached(p *Peer, info CloseInfo) {
	if x := h.opts.Metrics; x != nil {
		x.ConnectionLost(p.transport, info.Code)
	}
	if h.opts.Logger != nil {
		h.logPeer(p, slog.LevelDebug, "anyws: connection dropped", closeAttrs(info)...)
	}
}

// peerFinished: the peer is gone; its Close hook runs next.
func (h *Hub) peerFinished(p *Peer, info CloseInfo) {
	if x := h.opts.Metrics; x != nil {
		x.Disconnected(p.transport, info.Code)
	}
	if h.opts.Logger != nil {
		h.logPeer(p, slog.LevelDebug, "anyws: peer closed", closeAttrs(info)...)
	}
}

// stopping: Shutdown or Close began.
func (h *Hub) stopping() {
	if h.opts.Logger == nil {
		return
	}
	h.mu.Lock()
	n := len(h.byID)
	h.mu.Unlock()
	h.logHub(slog.LevelInfo, "anyws: hub shutting down", slog.Int(LogPeers, n))
}

// stopped: Shutdown or Close is done with the peers (every one finished,
// or Shutdown's ctx ended) and closes the broker.
func (h *Hub) stopped() { h.logHub(slog.LevelInfo, "anyws: hub stopped") }

// hubError: an error that concerns no peer, from the Hub itself; all
// of them come from the broker.
func (h *Hub) hubError(err error) {
	h.logHubError(err)
	if x := h.opts.Metrics; x != nil {
		x.BrokerError()
	}
}
