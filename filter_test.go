package anyws_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestPublishLocalFilter: only the subscribers keep accepts get the
// message, keep may call Peer methods, and InNamespace narrows it.
func TestPublishLocalFilter(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	admin, user, other := connect(t, hub, "/"), connect(t, hub, "/"), connect(t, hub, "/other")
	defer admin.finish()
	defer user.finish()
	defer other.finish()
	admin.peer().Set("role", "admin")
	other.peer().Set("role", "admin")
	for _, c := range []*memConn{admin, user, other} {
		c.peer().Subscribe("ops")
	}
	isAdmin := func(p *anyws.Peer) bool { r, _ := anyws.Value[string](p, "role"); return r == "admin" }

	n, err := hub.PublishLocal("ops", "for admins", isAdmin)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = hub.PublishLocal("ops", "for admins of /", isAdmin, anyws.InNamespace("/"))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = hub.PublishLocal("ops", "for all", nil)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	n, err = hub.PublishLocal("ops", "subscribes inside keep", func(p *anyws.Peer) bool { p.Subscribe("more"); return false })
	require.NoError(t, err, "keep runs outside the Hub's locks")
	require.Zero(t, n)

	require.Equal(t, []string{"for admins", "for admins of /", "for all"}, admin.written())
	require.Equal(t, []string{"for all"}, user.written())
	require.Equal(t, []string{"for admins", "for all"}, other.written())
}

// TestPublishLocalStaysOnItsNode: two nodes on one (memory) broker. A
// PublishLocal reaches only its own node's subscribers, even those keep
// accepts on the other node; an ordinary Publish made after it reaches
// the other node, which got nothing before it.
func TestPublishLocalStaysOnItsNode(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	hubA := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	defer hubA.Close()
	hubB := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	defer hubB.Close()
	a, b := connect(t, hubA, "/"), connect(t, hubB, "/")
	defer a.finish()
	defer b.finish()
	a.peer().Subscribe("news")
	b.peer().Subscribe("news")

	n, err := hubA.PublishLocal("news", "local", nil)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, hubA.Publish("news", "everywhere"))
	require.Equal(t, []string{"local", "everywhere"}, a.written())
	waitWritten(t, b, []string{"everywhere"})
}

// waitWritten waits until c was written want (a relayed publish arrives
// after the broker's delivery).
func waitWritten(t *testing.T, c *memConn, want []string) {
	t.Helper()
	var got []string
	require.Eventually(t, func() bool {
		got = append(got, c.written()...)
		return len(got) >= len(want)
	}, 30*time.Second, 5*time.Millisecond, "the other node's peer got %q, waiting for %q", got, want)
	require.Equal(t, want, got)
}
