package anyws

import (
	"context"
	"errors"
	"log/slog"
)

// Attribute keys of the records anyws logs through Options.Logger. They
// are stable: dashboards and alerts may filter on them. Every record
// about a peer carries LogPeer, LogTransport, LogNamespace and
// LogRemoteAddr.
const (
	LogPeer       = "peer_id"     // Peer.ID, the public id
	LogTransport  = "transport"   // Peer.Transport: "websocket" or "sse"
	LogNamespace  = "namespace"   // Peer.Namespace
	LogRemoteAddr = "remote_addr" // Peer.RemoteAddr
	LogCloseCode  = "close_code"  // CloseInfo.Code, as a number
	LogReason     = "reason"      // CloseInfo.Reason, or why a resume failed
	LogError      = "error"       // the error, as text
	LogPeers      = "peers"       // how many peers (Hub shutdown)
	LogDetail     = "detail"      // which step of a failed resume claim failed
)

// What anyws logs, at which level (the messages are stable too):
//
//	Debug "anyws: peer opened"        a new peer (after a failed resume claim, with LogReason:
//	                                  "unknown", "gap" or "refused", and LogDetail: which
//	                                  step failed, in words)
//	Debug "anyws: peer resumed"       a client got its peer back after a dropped connection
//	Debug "anyws: connection dropped" the peer waits Options.ResumeWindow for its client
//	                                  (LogCloseCode, LogReason)
//	Debug "anyws: peer closed"        the peer is gone, Close hook about to run (LogCloseCode,
//	                                  LogReason, LogError if the connection failed)
//	Info  "anyws: hub shutting down"  Shutdown or Close began (LogPeers)
//	Info  "anyws: hub stopped"        Shutdown or Close is done with the peers (or Shutdown's
//	                                  ctx ended) and closes the broker
//	Warn  "anyws: peer error"         what the Error hook gets for a peer: an overflowed
//	                                  queue, dropped messages, a failed write, a bad uplink
//	Error "anyws: hook panicked"      a hook panicked; the peer closes with 1011
//	Error "anyws: hub error"          what the Error hook gets with no peer: broker failures,
//	                                  an Upgrade hook that failed (not a rejection)
//
// Connections are Debug, so a handler at the default Info level logs
// only what an operator must act on; turn Debug on to follow peers.
// Rejected upgrades are not logged (the client got the status).

// hookPanic marks the error reported for a panicking hook, so it is
// logged at Error rather than Warn. The Error hook gets it as is: its
// text and what it wraps are the panic's.
type hookPanic struct{ error }

func (e hookPanic) Unwrap() error { return e.error }

// logger returns the Hub's logger if it logs at level, else nil: a Hub
// without a Logger pays one nil check.
func (h *Hub) logger(ctx context.Context, level slog.Level) *slog.Logger {
	if l := h.opts.Logger; l != nil && l.Enabled(ctx, level) {
		return l
	}
	return nil
}

// logPeer logs msg about p with p's attributes and extra.
func (h *Hub) logPeer(p *Peer, level slog.Level, msg string, extra ...slog.Attr) {
	if h.opts.Logger == nil {
		return
	}
	ctx := p.logContext()
	l := h.logger(ctx, level)
	if l == nil {
		return
	}
	attrs := make([]slog.Attr, 0, 4+len(extra))
	attrs = append(attrs,
		slog.String(LogPeer, p.id),
		slog.String(LogTransport, p.transport),
		slog.String(LogNamespace, p.ns),
		slog.String(LogRemoteAddr, p.remote),
	)
	attrs = append(attrs, extra...)
	l.LogAttrs(ctx, level, msg, attrs...)
}

// closeAttrs are the attributes of a CloseInfo.
func closeAttrs(info CloseInfo) []slog.Attr {
	a := []slog.Attr{slog.Int(LogCloseCode, int(info.Code)), slog.String(LogReason, info.Reason)}
	if info.Err != nil {
		a = append(a, slog.String(LogError, info.Err.Error()))
	}
	return a
}

// logPeerError logs an error reported for p (Warn; Error for a panic).
func (h *Hub) logPeerError(p *Peer, err error) {
	if h.opts.Logger == nil || err == nil {
		return
	}
	if hp := (hookPanic{}); errors.As(err, &hp) {
		h.logPeer(p, slog.LevelError, "anyws: hook panicked", slog.String(LogError, err.Error()))
		return
	}
	h.logPeer(p, slog.LevelWarn, "anyws: peer error", slog.String(LogError, err.Error()))
}

// logHubError logs an error that concerns no peer.
func (h *Hub) logHubError(err error) {
	if l := h.logger(context.Background(), slog.LevelError); l != nil {
		l.LogAttrs(context.Background(), slog.LevelError, "anyws: hub error", slog.String(LogError, err.Error()))
	}
}

// logHub logs a Hub-wide event.
func (h *Hub) logHub(level slog.Level, msg string, attrs ...slog.Attr) {
	if l := h.logger(context.Background(), level); l != nil {
		l.LogAttrs(context.Background(), level, msg, attrs...)
	}
}
