package sse_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestUplinkSeqDeliversOnce: a per-message POST sent twice with the same
// X-Anyws-Seq (a client resending what it was not sure arrived) reaches
// the Message hook once; the next number is delivered; a malformed number
// is refused with 400 and a text that says what it must be.
func TestUplinkSeqDeliversOnce(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			for range 2 {
				status, body := post(t, e.client, e.url, tok, "text/plain", []byte("one"), "X-Anyws-Seq", "1")
				require.Equal(t, http.StatusNoContent, status, body)
			}
			status, body := post(t, e.client, e.url, tok, "application/octet-stream", []byte("two"), "X-Anyws-Seq", "2")
			require.Equal(t, http.StatusNoContent, status, body)
			require.Equal(t, "one", e.rec.msg(t).Text())
			require.Equal(t, "two", e.rec.msg(t).Text(), "the resent seq 1 was delivered twice")

			for _, bad := range []string{"x", "-1", "+3", "0", "1.5", "18446744073709551616"} {
				status, body := post(t, e.client, e.url, tok, "text/plain", []byte("bad"), "X-Anyws-Seq", bad)
				requireAnywsError(t, status, http.StatusBadRequest, body, "X-Anyws-Seq header must be the message's sequence number")
			}
			// Unnumbered messages (crossws's client) are all delivered.
			for range 2 {
				status, body := post(t, e.client, e.url, tok, "text/plain", []byte("plain"))
				require.Equal(t, http.StatusNoContent, status, body)
			}
			require.Equal(t, "plain", e.rec.msg(t).Text())
			require.Equal(t, "plain", e.rec.msg(t).Text())
		})
	}
}

// TestFramedUplinkSeqDeliversOnce: a framed uplink's events are numbered
// by their id field; a second uplink that resends events the first one
// delivered (the client could not know: the first broke) delivers only
// the new ones. An event without an id is not numbered.
func TestFramedUplinkSeqDeliversOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	c := open(t, e.client, e.url)
	tok := c.token(t)
	status, body := post(t, e.client, e.url, tok, "text/event-stream", []byte("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"))
	require.Equal(t, http.StatusNoContent, status, body)
	status, body = post(t, e.client, e.url, tok, "text/event-stream", []byte("id: 2\ndata: b\n\nid: 3\nevent: binary\ndata: Yw==\n\n"))
	require.Equal(t, http.StatusNoContent, status, body)
	for _, want := range []string{"a", "b", "c"} {
		require.Equal(t, want, e.rec.msg(t).Text())
	}
	status, body = post(t, e.client, e.url, tok, "text/event-stream", []byte("id: 4\ndata: d\n\nid: four\ndata: e\n\n"))
	requireAnywsError(t, status, http.StatusBadRequest, body, "the id of an event must be its sequence number")
	require.Equal(t, "d", e.rec.msg(t).Text())

	var seqs []uint64
	err := adapter.DecodeFramedSeq(strings.NewReader("data: x\n\nid: 7\ndata: y\n\ndata: z\n\nid\ndata: w\n\n"), 1024, func(_ anyws.Message, seq uint64) error {
		seqs = append(seqs, seq)
		return nil
	})
	require.NoError(t, err)
	// An id persists over the events after it (the SSE rules), but only
	// an event's own id numbers it.
	require.Equal(t, []uint64{0, 7, 0, 0}, seqs)
}

// TestForwardedUplinkSeq: a numbered POST forwarded to the node holding
// the stream keeps its number there, so a resend through another node
// is delivered once too.
func TestForwardedUplinkSeq(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	got := make(chan string, 8)
	hubA := anyws.New(anyws.Hooks{Message: func(_ *anyws.Peer, m anyws.Message) { got <- m.Text() }}, &anyws.Options{Broker: bus.Broker()})
	hubB := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	srvA := httptest.NewServer(adapter.New(hubA, &adapter.Options{Bidirectional: true}))
	defer srvA.Close()
	srvB := httptest.NewServer(adapter.New(hubB, &adapter.Options{Bidirectional: true}))
	defer srvB.Close()
	defer hubB.Close()
	defer hubA.Close()

	c := open(t, srvA.Client(), srvA.URL)
	tok := c.token(t)
	for _, srv := range []*httptest.Server{srvB, srvA, srvB} {
		status, body := post(t, srv.Client(), srv.URL, tok, "text/plain", []byte("once"), "X-Anyws-Seq", "1")
		require.Equal(t, http.StatusNoContent, status, body)
	}
	status, body := post(t, srvB.Client(), srvB.URL, tok, "text/plain", []byte("next"), "X-Anyws-Seq", "2")
	require.Equal(t, http.StatusNoContent, status, body)
	require.Equal(t, "once", recv(t, got, "the first message on A"))
	require.Equal(t, "next", recv(t, got, "the second message on A"), "a resent message was delivered twice")
}
