package websocket_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
)

// Mount the WebSocket adapter on a route with hooks of its own; the Hub's
// hooks fill in the ones it leaves nil.
func ExampleNew() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("news") },
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("/ws", wsadapter.New(hub, nil))
	mux.Handle("/admin/ws", wsadapter.New(hub, &wsadapter.Options{
		Hooks: anyws.Hooks{
			Message: func(p *anyws.Peer, m anyws.Message) { _ = hub.Publish("news", m.Text()) },
		},
		OriginPatterns: []string{"admin.example.com"},
	}))

	// ReadHeaderTimeout only: a ReadTimeout or WriteTimeout would cut
	// long-lived streams (the adapters time each write themselves).
	srv := &http.Server{Addr: "localhost:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hub.Shutdown(sctx) // first: open streams would hold srv.Shutdown
	_ = srv.Shutdown(sctx)
}
