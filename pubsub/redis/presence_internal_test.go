package redis

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestRenewalAfterLeave: a renewal works from a list of this node's
// entries made before it writes them; one whose entry left meanwhile
// must not write it back. It did: the member joined a second time,
// listed by Members until it expired a TTL later.
func TestRenewalAfterLeave(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	// A TTL of a minute: the broker's own renewal (every 20 s) stays
	// out of the test; it calls the step itself.
	b, err := New(&Options{URL: srv.URL(), Prefix: "renew-" + rand.Text()[:10] + ":", PresenceTTL: time.Minute})
	require.NoError(t, err)
	require.NoError(t, b.Start("n1", func(pubsub.Message) {}, func(error) {}))
	t.Cleanup(func() { _ = b.Close() })
	events := make(chan pubsub.PresenceEvent, 16)
	stop := b.WatchPresence(func(e pubsub.PresenceEvent) { events <- e })
	t.Cleanup(stop)
	next := func(what string) pubsub.PresenceEvent {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(30 * time.Second):
			require.FailNow(t, "timed out waiting for "+what)
			panic("unreachable")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p1 := pubsub.Member{ID: "p1"}
	require.NoError(t, b.Join(ctx, "room", p1))
	require.True(t, next("p1's join").Join)
	p, err := b.presence()
	require.NoError(t, err)
	// The renewal's list has p1; p1 leaves; the renewal reaches it.
	require.NoError(t, b.Leave(ctx, "room", p1))
	require.False(t, next("p1's leave").Join)
	require.NoError(t, b.renewOwn(ctx, p, "room", memberKey("n1", "p1")))

	ms, err := b.Members(ctx, "room")
	require.NoError(t, err)
	require.Empty(t, ms, "a renewal wrote back an entry that had left")
	// Events are in order: the next is p2's join, not p1's again.
	require.NoError(t, b.Join(ctx, "room", pubsub.Member{ID: "p2"}))
	e := next("p2's join")
	require.Equal(t, "p2", e.Member.ID, "a renewal announced a member that had left: %+v", e)
}
