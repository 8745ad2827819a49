package recovery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestUplinkThroughCuts: websocketsse clients send numbered messages
// (one POST each, or the framed streaming POST) through a proxy that
// cuts every connection every 50-500 ms; a POST whose answer was lost is
// sent again with the same number, a framed uplink that broke is
// replaced and what the server may not have is written again, and the
// Message hook sees each message exactly once, in order.
func TestUplinkThroughCuts(t *testing.T) {
	// Not parallel with the others: each keeps both cores busy, and a
	// fault run must hold on a loaded machine, not compete with itself.
	dumpOnFailure(t)
	for _, up := range []websocketsse.Uplink{websocketsse.UplinkPerMessage, websocketsse.UplinkStream} {
		for _, h2 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/h2=%v", up, h2), func(t *testing.T) {
				t.Parallel()
				uplinkThroughCuts(t, h2, up)
			})
		}
	}
}

func uplinkThroughCuts(t *testing.T, h2 bool, uplink websocketsse.Uplink) {
	var mu sync.Mutex
	got := make(map[string][]string) // by peer id
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { _ = p.Send("hi") },
		Message: func(p *anyws.Peer, m anyws.Message) {
			mu.Lock()
			got[p.ID()] = append(got[p.ID()], m.Text())
			mu.Unlock()
		},
	}, &anyws.Options{ResumeWindow: time.Minute})
	h := sse.New(hub, &sse.Options{Bidirectional: true, Retry: 20 * time.Millisecond})
	srv := httptest.NewUnstartedServer(h)
	scheme := "http"
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
		scheme = "https"
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	defer func() { require.NoError(t, proxy.Close()) }()
	defer func() { require.NoError(t, hub.Close()) }()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	clients := make([]*websocketsse.Conn, senders)
	for i := range clients {
		hc := &http.Client{Transport: srv.Client().Transport.(*http.Transport).Clone()}
		c, _, err := websocketsse.Dial(ctx, scheme+"://"+proxy.Addr()+"/", &websocketsse.DialOptions{
			HTTPClient: hc,
			Uplink:     uplink,
			Reconnect:  websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		})
		require.NoError(t, err)
		defer c.CloseNow()
		defer hc.CloseIdleConnections()
		_, b, err := c.Read(ctx) // the hello has come: the server can resume
		require.NoError(t, err)
		require.Equal(t, "hi", string(b))
		clients[i] = c
		// Keep reading, so the stream's reconnects go on.
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
	errs := make(chan error, senders)
	for i, c := range clients {
		go func() {
			for n := 1; n <= sends; n++ {
				if err := c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(n))); err != nil {
					errs <- fmt.Errorf("client %d, message %d: %w", i, n, err)
					return
				}
				if uplink == websocketsse.UplinkStream {
					// A framed Write returns once written into the
					// stream: spread the run over several cuts.
					time.Sleep(5 * time.Millisecond)
				}
				if i == 0 && n == sends/2 {
					proxy.Cut() // at least one cut mid-run, however fast the run
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		require.NoError(t, <-errs)
	}
	requireUplinkOnce(t, &mu, got)
	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, senders, "a client got a new peer instead of resuming its own")
	t.Logf("%d cuts, %d numbered messages from %d clients", proxy.Cuts(), sends, senders)
}
