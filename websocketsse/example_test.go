package websocketsse_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// ExampleDial is coder/websocket's client example over bidirectional SSE:
// only the Dial line changes.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, _, err := websocketsse.Dial(ctx, "http://localhost:8080/_ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()

	err = c.Write(ctx, websocket.MessageText, []byte("hi"))
	if err != nil {
		log.Fatal(err)
	}

	c.Close(websocket.StatusNormalClosure, "")
}

// Example_echo talks to an anyws echo server over SSE: Dial, Write, Read,
// Close, and reads the server's close code with websocket.CloseStatus.
func Example_echo() {
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Send(m)
			if m.Text() == "bye" {
				_ = p.Close(4001, "see you")
			}
		},
	}, nil)
	srv := httptest.NewServer(sse.New(hub, &sse.Options{Bidirectional: true}))
	defer srv.Close()
	defer hub.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocketsse.Dial(ctx, srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()

	for _, msg := range []string{"hello", "bye"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			log.Fatal(err)
		}
		typ, data, err := c.Read(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(typ, string(data))
	}
	_, _, err = c.Read(ctx)
	fmt.Println("closed with", int(websocket.CloseStatus(err)))
	// Output:
	// MessageText hello
	// MessageText bye
	// closed with 4001
}
