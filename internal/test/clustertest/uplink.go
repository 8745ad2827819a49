package clustertest

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// reroute sends every POST to one of others in turn, as a load balancer
// without sticky sessions might, and the stream's GET where it asked.
type reroute struct {
	base   http.RoundTripper
	others []*url.URL
	n      atomic.Int64
}

func (rt *reroute) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		to := rt.others[int(rt.n.Add(1))%len(rt.others)]
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = to.Scheme, to.Host
		r.Host = ""
	}
	return rt.base.RoundTrip(r)
}

// testUplinkRouting: a bidirectional SSE client whose stream is on node A
// sends every POST to node B or C: the Message hook runs on A, in order,
// for every message, and never on B or C.
func testUplinkRouting(t *testing.T, cfg Config) {
	const count = 1000
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	a, b, c := NewNode(t, cfg.NewBroker(), ""), NewNode(t, cfg.NewBroker(), ""), NewNode(t, cfg.NewBroker(), "")
	// Every node answers requests before the first POST is forwarded (a
	// request to a node not yet listening is refused, 502, not retried).
	Sync(t, a, b, c)
	var others []*url.URL
	for _, n := range []*Node{b, c} {
		u, err := url.Parse(n.URL)
		require.NoError(t, err)
		others = append(others, u)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	rr := &reroute{base: tr, others: others}
	conn, resp, err := websocketsse.Dial(ctx, a.URL+"/sse", &websocketsse.DialOptions{
		HTTPClient: &http.Client{Transport: rr},
		Uplink:     websocketsse.UplinkPerMessage,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	recv(t, a.Opened, "Open on A")

	done := make(chan error, 1)
	go func() {
		for i := range count {
			typ, p := ws.MessageText, []byte(strconv.Itoa(i))
			if i%10 == 9 {
				typ, p = ws.MessageBinary, []byte{byte(i), 0, 0xff}
			}
			if err := conn.Write(ctx, typ, p); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range count {
		m := recv(t, a.Msgs, "message "+strconv.Itoa(i)+" on A")
		if i%10 == 9 {
			require.True(t, m.IsBinary())
			require.Equal(t, []byte{byte(i), 0, 0xff}, m.Bytes())
		} else {
			require.False(t, m.IsBinary())
			require.Equal(t, strconv.Itoa(i), m.Text(), "order")
		}
	}
	require.NoError(t, recv(t, done, "the writes"))
	require.GreaterOrEqual(t, rr.n.Load(), int64(count))
	require.Empty(t, b.Msgs)
	require.Empty(t, c.Msgs)

	// The owner's verdicts: a message over its limit is 413 wherever it
	// was posted; once the peer is gone its token gets 404 from B.
	tok := resp.Header.Get("X-Crossws-Id")
	require.NotEmpty(t, tok)
	status := post(t, b.URL+"/sse", tok, bytes.Repeat([]byte("x"), 2<<20))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	for _, p := range a.Hub.Peers() {
		_ = p.CloseNow()
	}
	require.Eventually(t, func() bool { return len(a.Hub.Peers()) == 0 }, wait, 10*time.Millisecond)
	require.Equal(t, http.StatusNotFound, post(t, b.URL+"/sse", tok, []byte("late")))
	require.Equal(t, http.StatusNotFound, post(t, c.URL+"/sse", tok+"x", []byte("forged")))
}

func post(t *testing.T, u, tok string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Crossws-Id", tok)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}
