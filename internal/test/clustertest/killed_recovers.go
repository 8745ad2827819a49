package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/client"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/websocketsse"
	"github.com/stretchr/testify/require"
)

// testKilledNodeRecovers kills with SIGKILL the node process holding
// two clients' peers (one over WebSocket, client.Dial; one over SSE +
// POST, websocketsse), while a second node publishes. The address the
// clients use then reaches the second node (a balancer taking a dead
// node out). Each client reconnects by itself, and the second node
// rebuilds its peer from the record the dead node left in the broker
// and the client's marks: same peer id, and every message published
// before and after the death arrives once, in order. Needs a broker that
// keeps history and peer records, and node processes.
func testKilledNodeRecovers(t *testing.T, cfg Config) {
	if cfg.StartRecovering == nil {
		t.Skip("no node process to kill")
	}
	b := cfg.NewBroker()
	if _, ok := b.(pubsub.PeerStore); !ok {
		_ = b.Close()
		t.Skip("a Pub/Sub-only broker keeps no peer records")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	const topic = "news"
	doomed := cfg.StartRecovering(t, topic)
	other := NewNode(t, b, topic)

	// The balancer: every request to the dead node's address goes to
	// the other once it is taken out.
	var targets []*httputil.ReverseProxy
	for _, u := range []string{doomed.URL, other.URL} {
		pu, err := url.Parse(u)
		require.NoError(t, err)
		rp := httputil.NewSingleHostReverseProxy(pu)
		rp.FlushInterval = -1 // event streams flow through
		rp.ErrorLog = nil
		targets = append(targets, rp)
	}
	var live atomic.Int32
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targets[live.Load()].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	reconnect := websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond}
	wc, _, err := client.Dial(ctx, lb.URL+"/ws", &client.Options{Transport: client.TransportWebSocket, Reconnect: reconnect})
	require.NoError(t, err)
	defer wc.CloseNow()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	sc, _, err := websocketsse.Dial(ctx, lb.URL+"/sse", &websocketsse.DialOptions{HTTPClient: hc, Reconnect: reconnect})
	require.NoError(t, err)
	defer sc.CloseNow()
	ids := map[string]bool{recv(t, doomed.Opened, "a peer on the doomed node"): true, recv(t, doomed.Opened, "the second peer on the doomed node"): true}
	for saved := 0; saved < 2; {
		if strings.Contains(recv(t, doomed.Records, "the peers' records"), `"`+topic+`"`) {
			saved++
		}
	}

	clients := []reader{wc, sc}
	read := func(from, to int) {
		t.Helper()
		for i, c := range clients {
			for n := from; n <= to; n++ {
				_, b, err := c.Read(ctx)
				require.NoError(t, err, "client %d: message %d", i, n)
				require.Equal(t, fmt.Sprint(n), string(b), "client %d: each message once, in order", i)
			}
		}
	}
	publish := func(from, to int) {
		for n := from; n <= to; n++ {
			_, err := other.Hub.PublishWait(ctx, topic, fmt.Sprint(n))
			require.NoError(t, err)
		}
	}
	publish(1, 20)
	read(1, 20)

	doomed.Kill() // SIGKILL: no Close, nothing deleted, sockets closed by the kernel
	live.Store(1)
	publish(21, 40)
	read(21, 40)
	for range 2 {
		p := recv(t, other.Opened, "a recovered peer")
		require.True(t, ids[p.ID()], "peer %s is one of the dead node's, recovered with its id", p.ID())
		require.True(t, p.ResumeStatus().Recovered, "peer %s: recovered", p.ID())
	}
	require.True(t, sc.Recovered(), "the SSE client was told")
	require.Equal(t, 1, wc.ResumeStatus().Recovered, "the WebSocket client was told")
	publish(41, 50)
	read(41, 50)
}
