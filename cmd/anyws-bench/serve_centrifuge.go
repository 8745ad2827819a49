package main

import (
	"context"
	"net/http"

	"github.com/centrifugal/centrifuge"
)

// centrifugeImpl is github.com/centrifugal/centrifuge with its defaults:
// a Node on the memory broker, its WebSocket handler (JSON protocol) and
// a unidirectional SSE transport (serve_centrifuge_unisse.go, the way
// Centrifugo builds its uni_sse on the library). Every connection is
// subscribed to the room server-side on connect; a client's async
// message (the "send" command) is published to the room, which echoes
// it to the sender too. The queue bound is the bench's, in bytes.
type centrifugeImpl struct {
	node *centrifuge.Node
}

// centrifugeRoom is the channel every connection is subscribed to.
const centrifugeRoom = "room"

func newCentrifugeImpl(cfg serverConfig) impl {
	node, err := centrifuge.New(centrifuge.Config{
		// The bench's bound is in messages; centrifuge's in bytes. A
		// queued publication push of the bench's is under 128 bytes.
		ClientQueueMaxSize: max(cfg.queue*128, 1<<20),
	})
	if err != nil {
		panic("anyws-bench: centrifuge.New: " + err.Error())
	}
	node.OnConnecting(func(context.Context, centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		return centrifuge.ConnectReply{
			Credentials:   &centrifuge.Credentials{},
			Subscriptions: map[string]centrifuge.SubscribeOptions{centrifugeRoom: {}},
		}, nil
	})
	node.OnConnect(func(c *centrifuge.Client) {
		c.OnMessage(func(e centrifuge.MessageEvent) {
			_, _ = node.Publish(centrifugeRoom, e.Data)
		})
	})
	if err := node.Run(); err != nil {
		panic("anyws-bench: centrifuge Run: " + err.Error())
	}
	return &centrifugeImpl{node: node}
}

func (c *centrifugeImpl) routes(mux *http.ServeMux) {
	mux.Handle("/ws", centrifuge.NewWebsocketHandler(c.node, centrifuge.WebsocketConfig{}))
	mux.Handle("GET /sse", newUniSSEHandler(c.node))
}

// publish sends payload as a JSON string: the JSON protocol carries
// publication data as raw JSON, and the bench's payloads need no escaping.
func (c *centrifugeImpl) publish(payload []byte) {
	data := make([]byte, 0, len(payload)+2)
	data = append(append(append(data, '"'), payload...), '"')
	_, _ = c.node.Publish(centrifugeRoom, data)
}

func (c *centrifugeImpl) peers() int { return c.node.Hub().NumClients() }

func (c *centrifugeImpl) shutdown(ctx context.Context) { _ = c.node.Shutdown(ctx) }
