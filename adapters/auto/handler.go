package auto

import (
	"net/http"
	"path"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
)

// Handler serves every transport of one Hub on one URL: WebSocket
// upgrades, SSE streams, their uplink POSTs, and the JavaScript client.
// It is safe for concurrent use.
type Handler struct {
	ws       *websocket.Handler
	sse      *sse.Handler // one instance: an uplink POST must reach the handler that holds its token
	fallback http.Handler
	noWS     bool
}

// New returns a Handler that serves hub's peers over WebSocket and
// bidirectional SSE. It dispatches each request, in this order:
//
//   - a WebSocket upgrade (GET with Upgrade: websocket): the WebSocket
//     adapter, or 403 when Options.DisableWebSocket is set;
//   - a GET whose Accept names text/event-stream: an SSE stream;
//   - a POST with an x-crossws-id header: that stream's uplink;
//   - a GET or HEAD whose path ends in "/" + ClientFile: the JavaScript
//     client;
//   - anything else: Options.Fallback, else 406 for a GET, 400 for a
//     POST and 405 for other methods, with a text body.
func New(hub *anyws.Hub, opts *Options) *Handler {
	wsOpts, sseOpts := opts.transportOptions()
	h := &Handler{ws: websocket.New(hub, &wsOpts), sse: sse.New(hub, &sseOpts)}
	if opts != nil {
		h.fallback = opts.Fallback
		h.noWS = opts.DisableWebSocket
	}
	return h
}

// ServeHTTP dispatches r as New describes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case websocket.IsUpgrade(r):
		if h.noWS {
			w.Header().Set("Connection", "close")
			http.Error(w, "anyws: WebSocket upgrades are turned off on this server: connect over SSE (a GET with Accept: text/event-stream)", http.StatusForbidden)
			return
		}
		h.ws.ServeHTTP(w, r)
	case sse.IsStream(r), sse.IsUplink(r):
		h.sse.ServeHTTP(w, r)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && path.Base(r.URL.Path) == ClientFile:
		serveClient(w, r)
	case h.fallback != nil:
		h.fallback.ServeHTTP(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		http.Error(w, "anyws: this URL serves WebSocket and Server-Sent Events: open a WebSocket, or send a GET with Accept: text/event-stream (the JavaScript client "+ClientFile+" does either)", http.StatusNotAcceptable)
	case r.Method == http.MethodPost:
		// The SSE adapter explains the missing x-crossws-id header.
		h.sse.ServeHTTP(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "anyws: method "+r.Method+" not allowed: open a WebSocket or an event stream with GET and send SSE messages with POST", http.StatusMethodNotAllowed)
	}
}
