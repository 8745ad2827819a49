package sse

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// A streaming uplink forwarded to another node must not outlive the
// stream it posts for, but the node serving it hears nothing when that
// stream ends there. So while it runs it asks the owner, every
// forwardProbeEvery, whether the token is still open, on a service of its
// own (an owner that does not answer it, or is gone, counts as the stream
// being gone). Waiting costs a timer, not a goroutine.

// forwardProbeEvery is how often a forwarded streaming uplink asks the
// owner node whether its stream is still open. A variable for tests.
var forwardProbeEvery = 15 * time.Second

func aliveService(svc string) string { return svc + ".alive" }

// answerAlive runs on the owner node: 204 if the token's stream is open
// here, 404 otherwise.
func (h *Handler) answerAlive(_ context.Context, payload []byte) []byte {
	if h.session(string(payload)) == nil {
		return appendVerdict(nil, http.StatusNotFound, "")
	}
	return appendVerdict(nil, http.StatusNoContent, "")
}

// aliveContext ends when the owner says the stream is gone, or when the
// POST ends. Started on the first Context call: a one-message POST, over
// before the first probe, costs only a timer.
type aliveContext struct {
	once sync.Once
	ctx  context.Context
}

func (rt *remoteTarget) Context() context.Context {
	rt.alive.once.Do(func() {
		ctx, cancel := context.WithCancel(rt.ctx)
		rt.alive.ctx = ctx
		var (
			mu sync.Mutex // guards t, set after AfterFunc returns
			t  *time.Timer
		)
		mu.Lock()
		defer mu.Unlock()
		t = time.AfterFunc(forwardProbeEvery, func() {
			if ctx.Err() != nil {
				return
			}
			if !rt.probe(ctx) {
				cancel()
				return
			}
			mu.Lock()
			t.Reset(forwardProbeEvery)
			mu.Unlock()
		})
		context.AfterFunc(ctx, func() {
			mu.Lock()
			t.Stop()
			mu.Unlock()
		})
	})
	return rt.alive.ctx
}

// probe reports whether the owner still holds the stream. Only a clear
// "no" (404, or the node gone) ends the uplink; a timeout or a broker
// failure leaves it to the next probe.
func (rt *remoteTarget) probe(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	ans, err := rt.f.rq.Request(ctx, rt.node, aliveService(rt.svc), []byte(rt.tok))
	switch {
	case errors.Is(err, pubsub.ErrNoNode):
		return false
	case err != nil:
		return true
	}
	status, _ := parseVerdict(ans)
	return status != http.StatusNotFound
}
