package auto_test

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
	"github.com/anyws/anyws/adapters/auto"
)

// One handler serves a chat room over WebSocket and SSE on one URL; the
// JavaScript client picks the transport that works.
func ExampleNew() {
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("chat"); _ = p.Publish("chat", p.ID()+" joined") },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Publish("chat", m.Text()) },
		Close:   func(p *anyws.Peer, _ anyws.CloseInfo) { _ = p.Publish("chat", p.ID()+" left") },
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, nil))
	mux.Handle("/anyws.js", auto.Client())

	// ReadHeaderTimeout only: a ReadTimeout or WriteTimeout would cut
	// long-lived streams (the adapters time each write themselves).
	srv := &http.Server{Addr: "localhost:3000", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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

// Fallback serves the application's pages on the same URL as the
// transports: a plain GET is neither an upgrade nor an event stream.
func ExampleNew_fallback() {
	hub := anyws.New(anyws.Hooks{}, nil)
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`<script type="module">
import { AnyWS } from "/anyws.js";
new AnyWS("/").onmessage = (e) => document.body.append(e.data);
</script>`))
	})
	h := auto.New(hub, &auto.Options{Fallback: page})

	// ReadHeaderTimeout only: a ReadTimeout or WriteTimeout would cut
	// long-lived streams (the adapters time each write themselves).
	srv := &http.Server{Addr: "localhost:3000", Handler: h, ReadHeaderTimeout: 10 * time.Second}
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

// Client serves the JavaScript client next to a Handler mounted on one
// path; a page imports it from there.
func ExampleClient() {
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }, // echo
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, nil))
	mux.Handle("/static/anyws.js", auto.Client())
	// In the page:
	//   import { AnyWS } from "/static/anyws.js";
	//   const ws = new AnyWS("/_ws", { transport: "sse" }); // or "auto"

	// ReadHeaderTimeout only: a ReadTimeout or WriteTimeout would cut
	// long-lived streams (the adapters time each write themselves).
	srv := &http.Server{Addr: "localhost:3000", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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
