package websocket

import (
	"errors"
	"net/http"
	"strings"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/origin"
	ws "github.com/coder/websocket"
)

// Handler serves a Hub's peers over WebSocket.
type Handler struct {
	hub  *anyws.Hub
	opts Options
}

// New returns a Handler for hub. Requests that are not WebSocket upgrades
// get 426 Upgrade Required; browsers from another origin get 403 unless
// Options.OriginPatterns allows them (see there for the rule); the
// Upgrade hook then decides.
func New(hub *anyws.Hub, opts *Options) *Handler {
	return &Handler{hub: hub, opts: opts.withDefaults()}
}

// IsUpgrade reports whether r asks for a WebSocket upgrade.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !IsUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "anyws: this URL serves WebSocket: send a GET with Upgrade: websocket", http.StatusUpgradeRequired)
		return
	}
	if err := origin.Check(r, &origin.Rule{Patterns: h.opts.OriginPatterns, TrustForwarded: h.opts.TrustForwarded}); err != nil {
		http.Error(w, "anyws: "+err.Error(), http.StatusForbidden)
		return
	}
	u, err := h.hub.Accept(r, &h.opts.Hooks, "websocket", headerTokens(r.Header, "Sec-WebSocket-Protocol"))
	if err != nil {
		writeUpgradeError(w, r, err)
		return
	}
	// The sub-protocol is answered through u.Protocol only, so a hook can
	// never echo one the client did not offer.
	u.Header.Del("Sec-WebSocket-Protocol")
	for k, v := range u.Header {
		w.Header()[k] = append(w.Header()[k], v...)
	}
	var protos []string
	if u.Protocol != "" {
		protos = []string{u.Protocol}
	}
	mode := ws.CompressionNoContextTakeover
	if h.opts.DisableCompression {
		mode = ws.CompressionDisabled
	}
	c := &peerConn{h: h}
	bw := &batchWriter{ResponseWriter: w, timeout: h.opts.WriteTimeout, c: c}
	conn, err := ws.Accept(bw, r, &ws.AcceptOptions{
		Subprotocols:         protos,
		InsecureSkipVerify:   true, // origin.Check above applied our rule
		CompressionMode:      mode,
		CompressionThreshold: compressionThreshold,
		OnPongReceived:       c.onPong, // keepalive.go
	})
	if err != nil {
		return // Accept has written the error response
	}
	bw.unwrapReader()
	// The Upgrade hook saw r; the peer keeps what it needs of it
	// (request.go).
	u.Request = keptRequest(r)
	bw.conn.deflate = strings.Contains(strings.Join(w.Header().Values("Sec-WebSocket-Extensions"), ","), "permessage-deflate")
	h.serve(u, c, conn, c.initIdle(bw.lazy, bw.br), revision(r))
}

// writeUpgradeError answers a refused upgrade with a plain HTTP response
// and closes the connection, as a failed handshake should.
func writeUpgradeError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Connection", "close")
	var rej *anyws.Rejection
	switch {
	case errors.As(err, &rej):
		rej.ServeHTTP(w, r)
	case errors.Is(err, anyws.ErrHubClosed):
		http.Error(w, "anyws: server shutting down", http.StatusServiceUnavailable)
	default:
		http.Error(w, "anyws: internal error", http.StatusInternalServerError)
	}
}

func headerTokens(h http.Header, key string) []string {
	var out []string
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, t := range headerTokens(h, key) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}
