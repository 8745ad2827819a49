package sse_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestLeaveClosesAtOnce: with recovery on, a stream that ends is kept for
// a resume; a goodbye POST (X-Anyws-Leave: code, body: reason) closes the
// peer at once with that code and reason, and ends its stream. Bad
// goodbyes get 400 with a text that says what is wanted.
func TestLeaveClosesAtOnce(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}, hub: &anyws.Options{ResumeWindow: time.Hour}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			for _, bad := range []string{"x", "999", "1005", "1006", "70000"} {
				status, body := post(t, e.client, e.url, tok, "text/plain", []byte("bye"), "X-Anyws-Leave", bad)
				requireAnywsError(t, status, http.StatusBadRequest, body, "X-Anyws-Leave header must be a close code")
			}
			status, body := post(t, e.client, e.url, tok, "text/plain", make([]byte, 124), "X-Anyws-Leave", "1000")
			requireAnywsError(t, status, http.StatusBadRequest, body, "reason must be UTF-8 of at most 123 bytes")

			status, body = post(t, e.client, e.url, tok, "text/plain", []byte("see you"), "X-Anyws-Leave", "4001")
			require.Equal(t, http.StatusNoContent, status, body)
			ce := e.rec.close(t)
			require.Equal(t, anyws.StatusCode(4001), ce.info.Code)
			require.Equal(t, "see you", ce.info.Reason)
			require.Equal(t, "close", c.next(t).Type, "the stream still up gets the close")
			c.ended(t)
			require.Empty(t, e.hub.Peers(), "the peer is still registered after its goodbye")
		})
	}
}

// TestLeaveAfterStreamEnded: the usual order in a client is "close the
// stream, then say goodbye" (or both at once): a goodbye for a peer that
// waits to be resumed closes it too.
func TestLeaveAfterStreamEnded(t *testing.T) {
	t.Parallel()
	dropped := make(chan struct{}, 1)
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}, hub: &anyws.Options{ResumeWindow: time.Hour},
		hooks: func(r *recorder) anyws.Hooks {
			h := r.hooks()
			h.Disconnect = func(*anyws.Peer, anyws.CloseInfo) { dropped <- struct{}{} }
			return h
		}})
	c := open(t, e.client, e.url)
	tok := c.token(t)
	c.stop()
	recv(t, dropped, "the Disconnect hook after the stream was cut")
	status, body := post(t, e.client, e.url, tok, "text/plain", nil, "X-Anyws-Leave", "1001")
	require.Equal(t, http.StatusNoContent, status, body)
	ce := e.rec.close(t)
	require.Equal(t, anyws.StatusGoingAway, ce.info.Code)
}

// TestForwardedLeave: a goodbye that lands on another node is forwarded
// to the node holding the peer.
func TestForwardedLeave(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	closed := make(chan anyws.CloseInfo, 1)
	hubA := anyws.New(anyws.Hooks{Close: func(_ *anyws.Peer, info anyws.CloseInfo) { closed <- info }}, &anyws.Options{Broker: bus.Broker(), ResumeWindow: time.Hour})
	hubB := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	srvA := httptest.NewServer(adapter.New(hubA, &adapter.Options{Bidirectional: true}))
	defer srvA.Close()
	srvB := httptest.NewServer(adapter.New(hubB, &adapter.Options{Bidirectional: true}))
	defer srvB.Close()
	defer hubB.Close()
	defer hubA.Close()

	c := open(t, srvA.Client(), srvA.URL)
	tok := c.token(t)
	status, body := post(t, srvB.Client(), srvB.URL, tok, "text/plain", []byte("moving on"), "X-Anyws-Leave", "1000")
	require.Equal(t, http.StatusNoContent, status, body)
	info := recv(t, closed, "the Close hook on A after a goodbye posted to B")
	require.Equal(t, anyws.StatusNormalClosure, info.Code)
	require.Equal(t, "moving on", info.Reason)
	require.Equal(t, "close", c.next(t).Type, "the stream still up gets the close")
	c.ended(t)
}
