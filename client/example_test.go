package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/client"
	"github.com/coder/websocket"
)

// Dial is websocket.Dial that falls back to SSE: here a proxy in front of
// an anyws echo server answers upgrades with 502, so the client talks
// over SSE, and says why.
func ExampleDial() {
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, nil)
	defer hub.Shutdown(context.Background())
	h := auto.New(hub, nil)
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			http.Error(w, "no upgrades here", http.StatusBadGateway)
			return
		}
		h.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := client.Dial(ctx, srv.URL+"/_ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	var he *client.HandshakeError
	if errors.As(c.WebSocketError(), &he) {
		fmt.Println("WebSocket refused with", he.StatusCode)
	}
	fmt.Println("connected over", c.Transport())

	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(msg))
	c.Close(websocket.StatusNormalClosure, "")
	// Output:
	// WebSocket refused with 502
	// connected over sse
	// hello
}
