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

// Presence across two Hubs of one bus: a client of the second joins
// "lobby", both Hubs list it, and every Hub is told of its join and, when
// it leaves, of its leave.
func ExampleHub_Presence() {
	bus := pubsub.NewMemory()
	events := make(chan string, 8)
	newHub := func(node string) *anyws.Hub {
		return anyws.New(anyws.Hooks{
			Open: func(p *anyws.Peer) { p.Subscribe("lobby") },
		}, &anyws.Options{
			Broker: bus.Broker(), NodeID: node, ResumeWindow: -1,
			Presence: &anyws.PresenceOptions{Change: func(e anyws.PresenceEvent) {
				if node == "a" { // one node's view is enough here
					events <- fmt.Sprintf("join=%v node=%s topic=%s", e.Join, e.Member.Node, e.Topic)
				}
			}},
		})
	}
	a, b := newHub("a"), newHub("b")
	defer a.Close()
	defer b.Close()
	srv := httptest.NewServer(wsadapter.New(b, nil))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-events)
	members, _ := a.Presence(ctx, "lobby")
	fmt.Println(len(members), "member, on node", members[0].Node)
	_ = c.Close(websocket.StatusNormalClosure, "")
	fmt.Println(<-events)
	// Output:
	// join=true node=b topic=lobby
	// 1 member, on node b
	// join=false node=b topic=lobby
}
