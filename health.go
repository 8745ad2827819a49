package anyws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Ready reports whether the Hub should be sent new clients: nil, or why
// not: it is shutting down (ErrHubClosed), its broker did not start, or
// the broker says it is not connected (pubsub.Checker; the Redis and
// NATS brokers are). A node whose broker is down still serves its own
// peers, but its publishes and forwarded uplinks do not reach the other
// nodes.
func (h *Hub) Ready(ctx context.Context) error {
	if h.closed.Load() {
		return ErrHubClosed
	}
	if h.opts.Broker != nil && h.broker == nil {
		return errors.New("anyws: the broker did not start")
	}
	if c, ok := h.broker.(pubsub.Checker); ok {
		if err := c.Check(ctx); err != nil {
			return fmt.Errorf("anyws: broker: %w", err)
		}
	}
	return nil
}

// readyTimeout bounds a readiness check that asks the broker's server.
const readyTimeout = 2 * time.Second

// ReadyHandler answers a load balancer's readiness probe: 200 "ok"
// while Ready is nil, else 503 with the reason as a text body. Mount it
// on its own path (for instance /readyz) with any method.
func (h *Hub) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := h.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(err.Error()))
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
}
