package main_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tick is how often require.Eventually polls.
const tick = 5 * time.Millisecond

func TestPublishEndpointReachesEveryChatSubscriber(t *testing.T) {
	t.Parallel()
	s := serve(t)
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialWS(t, s.wsURL("/"), nil)
	c := dialWS(t, s.wsURL("/room"), nil)
	require.Equal(t, b.id+" joined!", a.readText())
	// c's welcome comes before its Open hook joins the chat; its answer
	// to a message comes after (hooks run one at a time per peer).
	require.Equal(t, "pong", c.ask("ping"), "c has joined the chat")

	resp, body := get(t, s.url("/publish?topic=chat&message=ping"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "published", body)
	for _, p := range []*wsClient{a, b, c} {
		require.Equal(t, "ping", p.readText())
	}

	resp, body = get(t, s.url("/publish?topic=nobody&message=x"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "published", body)
	require.Equal(t, "pong", a.ask("ping"), "a topic no one joined reaches no one")

	resp, body = get(t, s.url("/publish?message=x"), nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "anyws: /publish needs a topic")
}

func TestPeersEndpoint(t *testing.T) {
	t.Parallel()
	s := serve(t)
	require.Empty(t, peersList(t, s))
	a := dialWS(t, s.wsURL("/"), nil)
	b := dialWS(t, s.wsURL("/room"), nil)
	c := dialWS(t, s.wsURL("/"), nil)
	// Any method, any query.
	resp, body := get(t, s.url("/peers?x=1"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, `{"peers":["`+a.id+`","`+c.id+`","`+b.id+`"]}`, body)
}

func TestIndexPage(t *testing.T) {
	t.Parallel()
	s := serve(t)
	for _, path := range []string{"/", "/anything?x=1"} {
		resp, body := get(t, s.url(path), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, body, "<title>anyws: crossws demo</title>")
	}
}
