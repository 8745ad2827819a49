package sse_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestForwardedStreamEndsWithPeer: a streaming uplink that landed on node
// B for a stream held by node A ends (404) once that stream's peer closed
// on A, though the client sends nothing more: B learns it by asking A.
func TestForwardedStreamEndsWithPeer(t *testing.T) {
	// Not parallel: it shortens the probe interval for the package.
	defer adapter.SetForwardProbeEvery(adapter.SetForwardProbeEvery(20 * time.Millisecond))
	bus := pubsub.NewMemory()
	recA, recB := newRecorder(), newRecorder()
	hubA := anyws.New(recA.hooks(), &anyws.Options{Broker: bus.Broker(), NodeID: "a"})
	hubB := anyws.New(recB.hooks(), &anyws.Options{Broker: bus.Broker(), NodeID: "b"})
	t.Cleanup(func() { _ = hubA.Close(); _ = hubB.Close() })
	opts := &adapter.Options{Bidirectional: true}
	srvA, hc := serve(t, adapter.New(hubA, opts), h1)
	srvB, _ := serve(t, adapter.New(hubB, opts), h1)

	c := open(t, hc, srvA.URL)
	tok := c.token(t)
	p := recA.peer(t)
	sp := startPost(t, hc, srvB.URL, tok, "text/event-stream")
	sp.write(t, "data: x\n\n")
	require.Equal(t, "x", recA.msg(t).Text(), "the event forwarded to A")
	require.NoError(t, p.Close(anyws.StatusNormalClosure, "bye"))
	status, body := sp.response(t)
	requireAnywsError(t, status, http.StatusNotFound, body, "unknown or closed")
	select {
	case m := <-recB.msgs:
		require.FailNow(t, "a message ran on B", m.Text())
	default:
	}
}
