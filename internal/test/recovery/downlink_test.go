package recovery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestDownlinkThroughCuts: a publisher sends numbered messages to SSE
// subscribers whose connections a proxy cuts every 50-500 ms; each
// client (websocketsse, which sends Last-Event-ID as browsers do)
// receives every message exactly once, in order, and keeps its peer.
func TestDownlinkThroughCuts(t *testing.T) {
	// Not parallel with the others: each keeps both cores busy, and a
	// fault run must hold on a loaded machine, not compete with itself.
	dumpOnFailure(t)
	for _, tc := range []struct {
		name  string
		h2    bool
		bidir bool
	}{
		{"one-way/http1", false, false},
		{"post/http1", false, true},
		{"one-way/h2", true, false},
		{"post/h2", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			downlinkThroughCuts(t, tc.h2, tc.bidir)
		})
	}
}

func downlinkThroughCuts(t *testing.T, h2, bidir bool) {
	var opens sync.Map
	var resumes atomic.Int64 // hooks may still run while the test counts
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			opens.Store(p.ID(), true)
			p.Subscribe("numbers")
			_ = p.Send("0")
		},
		Resume: func(p *anyws.Peer) { resumes.Add(1) },
	}, &anyws.Options{ResumeWindow: time.Minute})
	h := sse.New(hub, &sse.Options{Bidirectional: bidir, Retry: 20 * time.Millisecond})
	srv := httptest.NewUnstartedServer(h)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	scheme := "http"
	if h2 {
		scheme = "https"
	}
	url := scheme + "://" + proxy.Addr() + "/"
	defer func() { require.NoError(t, proxy.Close()) }()
	defer func() { require.NoError(t, hub.Close()) }()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	clients := make([]*websocketsse.Conn, subscribers)
	for i := range clients {
		hc := &http.Client{Transport: srv.Client().Transport.(*http.Transport).Clone()}
		c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
			HTTPClient: hc,
			Reconnect:  websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		})
		require.NoError(t, err)
		defer c.CloseNow()
		defer hc.CloseIdleConnections()
		_, first, err := c.Read(ctx)
		require.NoError(t, err, "client %d: the Open hook's message", i)
		require.Equal(t, "0", string(first))
		clients[i] = c
	}
	peers := hub.Peers()
	require.Len(t, peers, subscribers)

	proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
	errs := make(chan error, subscribers)
	for i, c := range clients {
		go func() { errs <- readNumbers(ctx, c, messages) }()
		_ = i
	}
	for n := 1; n <= messages; n++ {
		require.NoError(t, hub.Publish("numbers", strconv.Itoa(n)))
		if n%10 == 0 {
			time.Sleep(5 * time.Millisecond) // spread the run over several cuts
		}
	}
	for range clients {
		require.NoError(t, <-errs)
	}
	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	count := 0
	opens.Range(func(any, any) bool { count++; return true })
	require.Equal(t, subscribers, count, "a client got a new peer instead of resuming its own")
	resumed := resumes.Load()
	t.Logf("%d cuts, %d resumes, %d messages to %d subscribers", proxy.Cuts(), resumed, messages, subscribers)
	require.Positive(t, resumed)
}

// reader is what the clients of the tests share.
type reader interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
}

// readNumbers reads 1..n and fails on a gap, a duplicate or a reorder.
func readNumbers(ctx context.Context, c reader, n int) error {
	for want := 1; want <= n; want++ {
		_, b, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("waiting for message %d of %d: %w", want, n, err)
		}
		if got := string(b); got != strconv.Itoa(want) {
			return fmt.Errorf("got message %q, want %d (lost, duplicated or reordered)", got, want)
		}
	}
	return nil
}
