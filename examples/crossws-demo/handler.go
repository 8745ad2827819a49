package main

import (
	"net/http"
	"strings"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
)

// anyOrigin lets pages from any origin connect, as crossws's demo does:
// the demo listens on loopback only and exists to be poked at from
// playgrounds and test pages served elsewhere. A real application lists
// its own origins instead.
var anyOrigin = []string{"*"}

// handler routes a request the way crossws's demo server does (see
// ServeHTTP). WebSocket and SSE peers share one Hub, so they chat together.
type handler struct {
	hub *anyws.Hub
	// transports serves WebSocket upgrades, SSE streams and their uplink
	// POSTs. The demo's own dispatch runs first, in crossws's order, and
	// hands it only the requests crossws would treat as WebSocket or SSE.
	transports http.Handler
}

// newHandler returns the demo's one handler for every URL: main.go serves
// it on both loopback listeners and the tests mount it on httptest.
func newHandler(hub *anyws.Hub) http.Handler {
	return &handler{
		hub:        hub,
		transports: auto.New(hub, &auto.Options{OriginPatterns: anyOrigin}),
	}
}

// ServeHTTP dispatches in crossws's order: WebSocket upgrades on any path
// first, then /peers and /publish, then SSE (the stream GET and its uplink
// POSTs), then the demo page.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && hasToken(r.Header, "Upgrade", "websocket"):
		h.transports.ServeHTTP(w, r)
	case r.URL.Path == "/peers":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(peersJSON(h.hub.Peers(), (*anyws.Peer).String))
	case r.URL.Path == "/publish":
		h.publish(w, r)
	case r.Header.Get("Accept") == "text/event-stream" || r.Header.Get("X-Crossws-Id") != "":
		h.transports.ServeHTTP(w, r)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(indexHTML))
	}
}

// publish sends ?message to every subscriber of ?topic, in every
// namespace and on every transport, excluding no one.
func (h *handler) publish(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	topic := q.Get("topic")
	if topic == "" {
		http.Error(w, "anyws: /publish needs a topic: use /publish?topic=chat&message=hello", http.StatusBadRequest)
		return
	}
	if err := h.hub.Publish(topic, q.Get("message")); err != nil {
		// A string always encodes: the only error is a closed Hub.
		http.Error(w, "anyws: the server is shutting down; try again later", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("published"))
}

// hasToken reports whether a comma-separated header holds token, in any
// case ("Upgrade: websocket", "upgrade: WebSocket").
func hasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
