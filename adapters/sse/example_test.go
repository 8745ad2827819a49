package sse_test

import (
	"context"
	"net/http"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
)

// A one-way stream: clients (a browser's EventSource) receive what the
// server publishes to the topics their Open hook subscribed.
func ExampleNew_oneWay() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("news") },
	}, nil)
	defer hub.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/events", sse.New(hub, nil))
	go func() {
		for range time.Tick(time.Second) {
			_ = hub.Publish("news", "tick")
		}
	}()
	_ = http.ListenAndServe("localhost:8080", mux)
}

// Bidirectional SSE: the stream's first event carries a token, and POSTs
// with that token in x-crossws-id are the client's messages. crossws's
// WebSocketSSE client and anyws's websocketsse speak it.
func ExampleNew_bidirectional() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			_ = p.Send("Welcome " + p.ID())
			p.Subscribe("chat")
		},
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Publish("chat", m.Text()) },
	}, nil)
	defer hub.Shutdown(context.Background())

	http.Handle("/chat", sse.New(hub, &sse.Options{
		Bidirectional:  true,
		OriginPatterns: []string{"app.example.com"},
	}))
	// No WriteTimeout or ReadTimeout on the server would be needed: the
	// handler clears them for streams and streaming uplinks.
	srv := &http.Server{Addr: "localhost:8080", ReadHeaderTimeout: 10 * time.Second}
	_ = srv.ListenAndServe()
}

// Dispatching by hand: IsStream and IsUplink tell SSE requests apart
// from others on a shared URL.
func ExampleIsStream() {
	hub := anyws.New(anyws.Hooks{}, nil)
	events := sse.New(hub, &sse.Options{Bidirectional: true})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<!doctype html><title>chat</title>"))
	})
	http.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sse.IsStream(r) || sse.IsUplink(r) {
			events.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}))
}
