package main

import (
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
)

// newSSE returns the bidirectional SSE handler: the EventSource stream,
// which starts with the welcome and then the crossws-id event, and
// crossws's uplink POSTs (one per message, or one streaming POST).
func newSSE(hub *anyws.Hub) http.Handler {
	return sse.New(hub, &sse.Options{Bidirectional: true, OriginPatterns: anyOrigin})
}
