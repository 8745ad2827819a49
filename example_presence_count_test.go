package anyws_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/pubsub"
	"github.com/coder/websocket"
)

// Subscribers of a topic across nodes: two Hubs on one bus, a client on
// each. Subscribers counts one node's; PresenceCount counts every
// node's, through the broker.
func ExampleHub_PresenceCount() {
	bus := pubsub.NewMemory()
	joined := make(chan struct{}, 8)
	newHub := func(node string) *anyws.Hub {
		return anyws.New(anyws.Hooks{
			Open: func(p *anyws.Peer) { p.Subscribe("lobby") },
		}, &anyws.Options{
			Broker: bus.Broker(), NodeID: node, ResumeWindow: -1,
			Presence: &anyws.PresenceOptions{Change: func(e anyws.PresenceEvent) {
				if node == "a" && e.Join {
					joined <- struct{}{}
				}
			}},
		})
	}
	a, b := newHub("a"), newHub("b")
	defer a.Close()
	defer b.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hub := range []*anyws.Hub{a, b} {
		srv := httptest.NewServer(wsadapter.New(hub, nil))
		defer srv.Close()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer c.CloseNow()
		<-joined // the join reached the broker
	}
	n, err := a.PresenceCount(ctx, "lobby")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("on node a:", a.Subscribers("lobby"), "of", n, "in the cluster")
	// Output:
	// on node a: 1 of 2 in the cluster
}
