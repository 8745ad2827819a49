package anyws_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// presenceHub is a Hub with presence on, and the events its Change saw.
type presenceHub struct {
	hub    *anyws.Hub
	events chan anyws.PresenceEvent
}

func newPresenceHub(t *testing.T, b pubsub.Broker, node string) *presenceHub {
	t.Helper()
	ph := &presenceHub{events: make(chan anyws.PresenceEvent, 256)}
	ph.hub = anyws.New(anyws.Hooks{}, &anyws.Options{
		Broker: b, NodeID: node, ResumeWindow: -1,
		Presence: &anyws.PresenceOptions{
			Info:   func(p *anyws.Peer, topic string) []byte { return []byte(`{"topic":"` + topic + `"}`) },
			Change: func(e anyws.PresenceEvent) { ph.events <- e },
		},
	})
	t.Cleanup(func() { _ = ph.hub.Close() })
	return ph
}

// next waits for the hub's next presence event.
func (ph *presenceHub) next(t *testing.T, what string) anyws.PresenceEvent {
	t.Helper()
	select {
	case e := <-ph.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for the presence event: %s", what)
		panic("unreachable")
	}
}

func (ph *presenceHub) members(t *testing.T, topic string) []anyws.Member {
	t.Helper()
	ms, err := ph.hub.Presence(context.Background(), topic)
	require.NoError(t, err)
	return ms
}

// TestPresenceAcrossHubs: two Hubs on one bus see each other's peers
// join on Subscribe and leave on Unsubscribe, on close, and when their
// Hub shuts down.
func TestPresenceAcrossHubs(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	a, b := newPresenceHub(t, bus.Broker(), "a"), newPresenceHub(t, bus.Broker(), "b")
	pa, pb := connect(t, a.hub, "/chat"), connect(t, b.hub, "/chat")
	defer pa.finish()
	pa.peer().Subscribe("room")
	pa.peer().Subscribe("room") // once
	pb.peer().Subscribe("room")
	for _, h := range []*presenceHub{a, b} {
		joined := map[string]bool{}
		for range 2 { // the two Hubs' joins, in either order
			e := h.next(t, "a join")
			require.True(t, e.Join)
			require.Equal(t, "room", e.Topic)
			joined[e.Member.ID] = true
		}
		require.Equal(t, map[string]bool{pa.peer().ID(): true, pb.peer().ID(): true}, joined)
	}
	want := []anyws.Member{
		{ID: pa.peer().ID(), Node: "a", Namespace: pa.peer().Namespace(), Info: []byte(`{"topic":"room"}`)},
		{ID: pb.peer().ID(), Node: "b", Namespace: pb.peer().Namespace(), Info: []byte(`{"topic":"room"}`)},
	}
	require.Equal(t, want, a.members(t, "room"))
	require.Equal(t, want, b.members(t, "room"))

	pa.peer().Unsubscribe("room")
	e := b.next(t, "a's leave on Unsubscribe")
	require.False(t, e.Join)
	require.Equal(t, pa.peer().ID(), e.Member.ID)
	require.Equal(t, want[1:], a.members(t, "room"))

	pa.peer().Subscribe("room")
	require.True(t, b.next(t, "a's second join").Join)
	pa.leave()
	e = b.next(t, "a's leave on close")
	require.False(t, e.Join)
	require.Equal(t, "a", e.Member.Node)

	for _, want := range []bool{false, true, false} { // a sees its own peer too
		require.Equal(t, want, a.next(t, "a's own peer's events").Join)
	}
	pb.peer().Subscribe("other")
	require.Equal(t, "other", a.next(t, "b's join in other").Topic)
	// pb is still subscribed when b shuts down: its leaves go out before
	// the broker closes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.hub.Shutdown(ctx))
	left := map[string]bool{}
	for {
		e := a.next(t, "b's leaves at shutdown")
		if e.Member.Node != "b" {
			continue
		}
		require.False(t, e.Join)
		require.False(t, e.Expired, "a clean shutdown says leave, it does not wait for the TTL")
		left[e.Topic] = true
		if len(left) == 2 {
			break
		}
	}
	require.Empty(t, a.members(t, "room"))
	require.Empty(t, a.members(t, "other"))
}

// TestPresenceSingleNode: a Hub without a broker keeps its own presence.
func TestPresenceSingleNode(t *testing.T) {
	t.Parallel()
	h := newPresenceHub(t, nil, "solo")
	p := connect(t, h.hub, "/")
	defer p.finish()
	p.peer().Subscribe("room")
	require.True(t, h.next(t, "the join").Join)
	ms := h.members(t, "room")
	require.Len(t, ms, 1)
	require.Equal(t, p.peer().ID(), ms[0].ID)
	require.Equal(t, "solo", ms[0].Node)
}

// TestPresenceOff: without Options.Presence, or with a broker that
// cannot keep it, Hub.Presence says so.
func TestPresenceOff(t *testing.T) {
	t.Parallel()
	off := anyws.New(anyws.Hooks{}, nil)
	defer off.Close()
	_, err := off.Presence(context.Background(), "t")
	require.ErrorIs(t, err, anyws.ErrNoPresence)

	errs := make(chan error, 4)
	h := anyws.New(anyws.Hooks{Error: func(_ *anyws.Peer, err error) { errs <- err }},
		&anyws.Options{Broker: &wishBroker{want: map[string]bool{}}, Presence: &anyws.PresenceOptions{}})
	defer h.Close()
	_, err = h.Presence(context.Background(), "t")
	require.ErrorIs(t, err, anyws.ErrNoPresence)
	select {
	case err := <-errs:
		require.False(t, errors.Is(err, anyws.ErrNoPresence))
		require.Contains(t, err.Error(), "does not implement pubsub.Presence")
	default:
		t.Fatal("New did not report that the broker cannot keep presence")
	}
}
