package anyws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/coder/websocket"
)

// A chat room over WebSocket: every message a peer sends is published to
// the others, and the server can publish to everyone.
func ExampleNew() {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("chat")
			_ = p.Send("welcome")
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Publish("chat", m.Text())
		},
	}, nil)
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	defer srv.Close()
	defer hub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	alice, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.CloseNow()
	bob, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bob.CloseNow()
	for _, c := range []*websocket.Conn{alice, bob} {
		_, msg, _ := c.Read(ctx)
		fmt.Println(string(msg))
	}

	_ = alice.Write(ctx, websocket.MessageText, []byte("hi bob"))
	_, msg, _ := bob.Read(ctx)
	fmt.Println("bob got:", string(msg))

	_ = hub.Publish("chat", "server says hi")
	_, msg, _ = alice.Read(ctx)
	fmt.Println("alice got:", string(msg))
	// Output:
	// welcome
	// welcome
	// bob got: hi bob
	// alice got: server says hi
}

// An Upgrade hook authenticates, names the namespace and stores per-peer
// values; a Rejection becomes a plain HTTP response.
func ExampleHooks_upgrade() {
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			user := u.Request.URL.Query().Get("user")
			if user == "" {
				return &anyws.Rejection{
					Status: http.StatusUnauthorized,
					Header: http.Header{"Www-Authenticate": {`Bearer realm="chat"`}},
					Body:   "log in first",
				}
			}
			u.Set("user", user)
			u.Namespace = "/rooms/" + u.Request.URL.Query().Get("room")
			u.Header.Set("X-Hello", user)
			return nil
		},
		Open: func(p *anyws.Peer) {
			user, _ := anyws.Value[string](p, "user")
			_ = p.Send("hello " + user + " in " + p.Namespace())
		},
	}, nil)
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	defer srv.Close()
	defer hub.Close()

	resp, err := http.Get(srv.URL)
	if err == nil {
		fmt.Println(resp.Status)
		resp.Body.Close()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err = websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	fmt.Println(resp.StatusCode, err != nil)

	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"?user=ann&room=1", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	_, msg, _ := c.Read(ctx)
	fmt.Println(resp.Header.Get("X-Hello"), string(msg))
	// Output:
	// 426 Upgrade Required
	// 401 true
	// ann hello ann in /rooms/1
}
