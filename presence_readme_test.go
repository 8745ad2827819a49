package anyws_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// readmePresence is the README's presence snippet: a Hub whose room
// members carry their name, and whose local subscribers are told of
// every join and leave on any node.
func readmePresence(hooks anyws.Hooks, broker pubsub.Broker) *anyws.Hub {
	var hub *anyws.Hub
	hub = anyws.New(hooks, &anyws.Options{
		Broker: broker,
		Presence: &anyws.PresenceOptions{
			Info: func(p *anyws.Peer, topic string) []byte {
				name, _ := anyws.Value[string](p, "name")
				info, _ := json.Marshal(map[string]string{"name": name})
				return info
			},
			// Every node sees every event: each tells its own peers only.
			Change: func(e anyws.PresenceEvent) {
				note, _ := json.Marshal(map[string]any{"presence": e.Topic, "join": e.Join, "member": e.Member})
				_, _ = hub.PublishLocal(e.Topic, string(note), func(p *anyws.Peer) bool { return p.ID() != e.Member.ID })
			},
		},
	})
	return hub
}

// readmeMembers is the README's Presence call.
func readmeMembers(ctx context.Context, hub *anyws.Hub) ([]string, error) {
	members, err := hub.Presence(ctx, "room") // every node's, sorted by node, then id
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range members {
		var info struct{ Name string }
		_ = json.Unmarshal(m.Info, &info)
		names = append(names, info.Name+"@"+m.Node)
	}
	return names, nil
}

// readmeCount is the README's PresenceCount call.
func readmeCount(ctx context.Context, hub *anyws.Hub) (int, error) {
	n, err := hub.PresenceCount(ctx, "room") // every node's subscribers; hub.Subscribers("room") counts this node's
	return n, err
}

// TestReadmePresence runs the README's snippets on two Hubs of one bus:
// a peer on the first is told of the second's peer joining, and both
// Hubs list both names.
func TestReadmePresence(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	a, b := readmePresence(anyws.Hooks{}, bus.Broker()), readmePresence(anyws.Hooks{}, bus.Broker())
	defer a.Close()
	defer b.Close()
	// A watcher of its own on the bus says when the joins are out.
	w := bus.Broker()
	require.NoError(t, w.Start("watcher", func(pubsub.Message) {}, nil))
	defer w.Close()
	joined := make(chan struct{}, 4)
	stop := w.(pubsub.Presence).WatchPresence(func(e pubsub.PresenceEvent) {
		if e.Join {
			joined <- struct{}{}
		}
	})
	defer stop()
	ann := connect(t, a, "/")
	defer ann.finish()
	ann.peer().Set("name", "ann")
	ann.peer().Subscribe("room")
	bob := connect(t, b, "/")
	defer bob.finish()
	bob.peer().Set("name", "bob")
	bob.peer().Subscribe("room")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 {
		select {
		case <-joined:
		case <-ctx.Done():
			t.Fatal("timed out waiting for ann's and bob's joins on the bus")
		}
	}
	// The bus tells every watcher of an event before the next change:
	// ExpirePresence waits for a's Change to be done with bob's join.
	bus.ExpirePresence()
	got := ann.written()
	require.Len(t, got, 1, "ann is told once that bob joined")
	require.Contains(t, got[0], `"join":true`)
	require.Contains(t, got[0], `"id":"`+bob.peer().ID()+`"`)
	want := []string{"ann@" + a.NodeID(), "bob@" + b.NodeID()}
	if b.NodeID() < a.NodeID() {
		want[0], want[1] = want[1], want[0]
	}
	for _, h := range []*anyws.Hub{a, b} {
		names, err := readmeMembers(ctx, h)
		require.NoError(t, err)
		require.Equal(t, want, names)
		n, err := readmeCount(ctx, h)
		require.NoError(t, err)
		require.Equal(t, 2, n, "ann and bob, one on each node")
		require.Equal(t, 1, h.Subscribers("room"), "this node's subscriber")
	}
}
