package main

import (
	"context"
	"net/http"
	"sync/atomic"

	gosse "github.com/tmaxmax/go-sse"
)

// goSSEImpl is github.com/tmaxmax/go-sse with its defaults: a Server on
// the Joe provider; Publish hands each message to Joe's goroutine, which
// writes and flushes it to every subscriber in turn. It has no uplink,
// so it runs no chat.
type goSSEImpl struct {
	srv *gosse.Server
	n   atomic.Int64
}

func newGoSSEImpl(serverConfig) impl {
	g := &goSSEImpl{}
	g.srv = &gosse.Server{
		Provider: &gosse.Joe{Replayer: joinCounter{&g.n}},
		// go-sse sends the response headers with the first event; the
		// bench's clients (like EventSource) wait for them, so the
		// session sends them at once.
		OnSession: func(w http.ResponseWriter, r *http.Request) ([]string, bool) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			_ = http.NewResponseController(w).Flush()
			return []string{gosse.DefaultTopic}, true
		},
	}
	return g
}

// joinCounter is a Replayer that replays nothing: Joe calls Replay as it
// takes a subscription, in the same step that adds the subscriber, so the
// count is exact when the parent reads it and starts publishing. Its Put
// (once per publish, not per subscriber) returns the message unchanged.
type joinCounter struct{ n *atomic.Int64 }

func (c joinCounter) Put(m *gosse.Message, _ []string) (*gosse.Message, error) { return m, nil }
func (c joinCounter) Replay(gosse.Subscription) error                          { c.n.Add(1); return nil }

func (g *goSSEImpl) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) {
		defer g.n.Add(-1) // counted by joinCounter
		g.srv.ServeHTTP(goSSEWriter(w), r)
	})
}

func (g *goSSEImpl) publish(payload []byte) {
	m := &gosse.Message{}
	m.AppendData(string(payload))
	_ = g.srv.Publish(m)
}

func (g *goSSEImpl) peers() int { return int(g.n.Load()) }

func (g *goSSEImpl) shutdown(ctx context.Context) { _ = g.srv.Shutdown(ctx) }
