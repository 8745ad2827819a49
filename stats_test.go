package anyws_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// TestStats: peers by transport and namespace, detached peers, and
// subscribers per topic, as peers come, subscribe, drop and leave.
func TestStats(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{ResumeWindow: time.Minute})
	defer hub.Close()
	require.Equal(t, anyws.Stats{Transports: map[string]int{}, Namespaces: map[string]int{}, Topics: map[string]int{}}, hub.Stats())

	a, b := connect(t, hub, "/a"), connect(t, hub, "/a")
	c := attach(t, hub, "/b", resumable(""))
	a.peer().Subscribe("news")
	b.peer().Subscribe("news")
	c.peer().Subscribe("news")
	c.peer().Subscribe("sport")
	require.Equal(t, 3, hub.Subscribers("news"))
	require.Equal(t, 0, hub.Subscribers("weather"))
	require.Equal(t, anyws.Stats{
		Peers:      3,
		Transports: map[string]int{"fake": 3},
		Namespaces: map[string]int{"/a": 2, "/b": 1},
		Topics:     map[string]int{"news": 3, "sport": 1},
	}, hub.Stats())

	c.cut() // waits for a resume: still a peer, still subscribed
	a.leave()
	b.peer().Unsubscribe("news")
	require.Equal(t, anyws.Stats{
		Peers:      2,
		Detached:   1,
		Transports: map[string]int{"fake": 2},
		Namespaces: map[string]int{"/a": 1, "/b": 1},
		Topics:     map[string]int{"news": 1, "sport": 1},
	}, hub.Stats())
	b.leave()
}
