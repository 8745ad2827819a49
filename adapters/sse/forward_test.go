package sse_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestForwardTimeoutSaysDeliveryUnknown posts, through node B, a message
// for a stream on node A whose Message hook is slower than B's wait for
// the verdict. B answers 504, and must not tell the client to send the
// message again: A delivers it all the same (once, a client that resent
// it on that advice got it twice).
func TestForwardTimeoutSaysDeliveryUnknown(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	release := make(chan struct{})
	got := make(chan string, 1)
	hubA := anyws.New(anyws.Hooks{Message: func(_ *anyws.Peer, m anyws.Message) {
		<-release
		got <- m.Text()
	}}, &anyws.Options{Broker: bus.Broker()})
	hubB := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	srvA := httptest.NewServer(sse.New(hubA, &sse.Options{Bidirectional: true}))
	defer srvA.Close()
	hB := sse.New(hubB, &sse.Options{Bidirectional: true})
	sse.SetForwardTimeout(hB, 100*time.Millisecond)
	srvB := httptest.NewServer(hB)
	defer srvB.Close()
	defer hubB.Close()
	defer hubA.Close()

	c := open(t, srvA.Client(), srvA.URL)
	tok := c.token(t)
	status, body := post(t, srvB.Client(), srvB.URL, tok, "text/plain", []byte("once"))
	close(release)
	require.Equal(t, http.StatusGatewayTimeout, status, body)
	require.NotContains(t, body, "send the message again")
	require.Contains(t, body, "delivery unknown")
	require.Equal(t, "once", recv(t, got, "the late delivery on A"))
}
