package websocketsse_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestRecoverAfterNodeKilled: two nodes behind one address; the node
// holding the client's peer dies (it leaves the bus, its connections
// are cut) and the address now reaches the other node. The client
// reconnects by itself with its claim and its marks, and gets the same
// peer, recovered, with every message published meanwhile exactly
// once, in order, and writes that reach the new node.
func TestRecoverAfterNodeKilled(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	saved := make(chan string, 64)
	brokers := []pubsub.Broker{
		brokertest.RecordWatch{StoreBroker: bus.Broker().(brokertest.StoreBroker), Saved: saved},
		bus.Broker(),
	}
	opened := make(chan string, 4)
	got := make(chan string, 16)
	var handlers [2]http.Handler
	var hubs [2]*anyws.Hub
	for i := range hubs {
		hubs[i] = anyws.New(anyws.Hooks{
			Open: func(p *anyws.Peer) {
				p.Subscribe("news")
				p.Subscribe("sports")
				opened <- p.ID()
			},
			Message: func(p *anyws.Peer, m anyws.Message) { got <- fmt.Sprint(i, ":", m.Text()) },
		}, &anyws.Options{Broker: brokers[i], NodeID: fmt.Sprint("node-", i)})
		t.Cleanup(func() { _ = hubs[i].Close() })
		handlers[i] = sse.New(hubs[i], &sse.Options{Bidirectional: true})
	}
	var live atomic.Int32 // the node the address reaches
	url, hc, px := serveCuttable(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers[live.Load()].ServeHTTP(w, r)
	}))

	ctx := ctxT(t)
	c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{HTTPClient: hc})
	require.NoError(t, err)
	defer c.CloseNow()
	id := recv(t, opened)
	// read reads len(want) messages and checks them per topic (the
	// first letter): each once, in order.
	read := func(want ...string) {
		t.Helper()
		var got []string
		for range want {
			_, b, err := c.Read(ctx)
			require.NoError(t, err, "reading %q (got %q)", want, got)
			got = append(got, string(b))
		}
		require.Equal(t, perTopic(want), perTopic(got), "each message once, in order per topic")
	}
	publish := func(texts ...string) {
		t.Helper()
		for _, m := range texts {
			topic := map[byte]string{'n': "news", 's': "sports"}[m[0]]
			_, err := hubs[1].PublishWait(context.Background(), topic, m)
			require.NoError(t, err)
		}
	}
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
	require.Equal(t, "0:hi", recv(t, got))
	// Its record is saved in the background: wait for it.
	for rec := recv(t, saved); !strings.Contains(rec, `"sports"`); rec = recv(t, saved) {
	}
	// The last message is of news: the claim's own mark says where the
	// client stands on news, its marks header on sports too.
	publish("n1", "s1", "n2")
	read("n1", "s1", "n2")

	// Node 0 dies.
	require.NoError(t, brokers[0].Close())
	live.Store(1)
	publish("s2", "n3", "s3")
	px.Cut()

	read("s2", "n3", "s3")
	require.Equal(t, id, recv(t, opened), "the same peer, opened again on node 1")
	require.True(t, c.Resumed())
	require.True(t, c.Recovered())
	require.Empty(t, c.Gaps())
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("again")))
	require.Equal(t, "1:again", recv(t, got))
	publish("n4")
	read("n4")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// perTopic splits messages by their first letter, keeping their order.
func perTopic(ms []string) map[byte][]string {
	out := map[byte][]string{}
	for _, m := range ms {
		out[m[0]] = append(out[m[0]], m)
	}
	return out
}

// serveCuttable serves h over HTTP/1.1 behind a proxy that can cut the
// client's connections (an SSE stream's is hijacked, out of the test
// server's reach): the proxy's URL, a client for it, and the proxy.
func serveCuttable(t *testing.T, h http.Handler) (string, *http.Client, *faultproxy.Proxy) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	px, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = px.Close() })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return "http://" + px.Addr(), &http.Client{Transport: tr}, px
}
