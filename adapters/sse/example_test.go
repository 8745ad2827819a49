package sse_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
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
	mux := http.NewServeMux()
	mux.Handle("/events", sse.New(hub, nil))
	go func() {
		for range time.Tick(time.Second) {
			_ = hub.Publish("news", "tick")
		}
	}()

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
	mux := http.NewServeMux()
	mux.Handle("/chat", sse.New(hub, &sse.Options{
		Bidirectional:  true,
		OriginPatterns: []string{"app.example.com"},
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

// Named events: an anyws.Event reaches a browser's EventSource listeners
// of its name (es.addEventListener("score", …)) instead of onmessage; its
// comment goes first, as comment lines readers ignore.
func ExampleNew_namedEvents() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			_ = p.Send(anyws.Event{Name: "score", Data: map[string]int{"home": 2}, Comment: "match 7"})
			_ = p.Close(anyws.StatusNormalClosure, "")
		},
	}, nil)
	defer hub.Close()
	srv := httptest.NewServer(sse.New(hub, nil))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body[bytes.Index(body, []byte(": match")):bytes.Index(body, []byte("event: close"))]))
	// Output:
	// : match 7
	// event: score
	// data: {"home":2}
}
