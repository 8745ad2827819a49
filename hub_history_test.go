package anyws_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestHistorySingleNode: a Hub whose broker keeps history (here alone on
// its in-memory bus) delivers as before (not to the publishing peer),
// and its History holds what was published, with positions.
func TestHistorySingleNode(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: pubsub.NewMemoryHistory(nil).Broker()})
	defer hub.Close()
	a, b := connect(t, hub, "/"), connect(t, hub, "/")
	defer a.finish()
	defer b.finish()
	a.peer().Subscribe("room")
	b.peer().Subscribe("room")
	require.NoError(t, a.peer().Publish("room", "from a"))
	require.NoError(t, hub.Publish("room", anyws.Event{Name: "notice", Data: "from the hub"}))
	ctx := context.Background()
	pos, err := hub.PublishWait(ctx, "room", []byte{7})
	require.NoError(t, err)
	require.Equal(t, uint64(3), pos.Offset)
	require.Equal(t, []string{"from the hub", "\a"}, a.written(), "the sender does not get its own message")
	require.Equal(t, []string{"from a", "from the hub", "\a"}, b.written())

	all, err := hub.History(ctx, "room", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, all, 3)
	require.Equal(t, "from a", all[0].Message.Text())
	require.Equal(t, "notice", all[1].Message.EventName())
	require.True(t, all[2].Message.IsBinary())
	require.Equal(t, pos, all[2].Position)
	after, err := hub.History(ctx, "room", all[0].Position, 1)
	require.NoError(t, err)
	require.Len(t, after, 1)
	require.Equal(t, all[1].Position, after[0].Position)
	_, err = hub.History(ctx, "room", pubsub.Position{Epoch: "other", Offset: 1}, 0)
	require.ErrorIs(t, err, pubsub.ErrNotCovered)
}

// TestHistoryNeedsBroker: without a history broker History and
// PublishWait say so.
func TestHistoryNeedsBroker(t *testing.T) {
	t.Parallel()
	for _, opts := range []*anyws.Options{nil, {Broker: pubsub.NewMemory().Broker()}} {
		hub := anyws.New(anyws.Hooks{}, opts)
		_, err := hub.History(context.Background(), "t", pubsub.Position{}, 0)
		require.ErrorIs(t, err, pubsub.ErrNoHistory)
		_, err = hub.PublishWait(context.Background(), "t", "x")
		require.ErrorIs(t, err, pubsub.ErrNoHistory)
		require.NoError(t, hub.Close())
	}
}

// TestHistoryOneOrderAcrossNodes: two Hubs publish to one topic at once;
// the subscribers on both receive the same sequence (with Pub/Sub only,
// a node's own publishes may overtake the other node's earlier ones).
func TestHistoryOneOrderAcrossNodes(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	{
		h1 := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
		h2 := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
		defer h1.Close()
		defer h2.Close()
		s1, s2 := connect(t, h1, "/"), connect(t, h2, "/")
		defer s1.finish()
		defer s2.finish()
		s1.peer().Subscribe("t")
		s2.peer().Subscribe("t")
		const per = 500
		var wg sync.WaitGroup
		for i, h := range []*anyws.Hub{h1, h2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range per {
					require.NoError(t, h.Publish("t", strconv.Itoa(i)+"/"+strconv.Itoa(j)))
				}
			}()
		}
		wg.Wait()
		x, y := s1.written(), s2.written()
		require.Len(t, x, 2*per)
		require.Equal(t, x, y, "both nodes deliver one order")
	}
}
