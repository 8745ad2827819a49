package browsertest_test

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/stretchr/testify/require"
)

// TestNativeEventSourceResumesThroughCuts: Chromium's own EventSource,
// with no client code, behind a proxy that cuts its connection every
// 50-500 ms, receives every published message exactly once, in order:
// it resends the last id (<secret>:<number>) as Last-Event-ID and the
// server resumes its peer.
func TestNativeEventSourceResumesThroughCuts(t *testing.T) {
	t.Parallel()
	const n = 600
	opened := make(chan *anyws.Peer, 4)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("numbers")
			_ = p.Send("0")
			opened <- p
		},
	}, &anyws.Options{ResumeWindow: time.Minute})
	t.Cleanup(func() { shutdown(t, hub) })
	srv := httptest.NewServer(mux(sse.New(hub, &sse.Options{Retry: 20 * time.Millisecond})))
	t.Cleanup(srv.Close)
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() })

	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, "http://"+proxy.Addr()+"/")
	published := make(chan error, 1)
	go func() {
		select {
		case <-opened:
		case <-time.After(wait):
			published <- fmt.Errorf("the browser's stream did not open")
			return
		}
		proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
		for i := 1; i <= n; i++ {
			if err := hub.Publish("numbers", strconv.Itoa(i)); err != nil {
				published <- err
				return
			}
			time.Sleep(5 * time.Millisecond) // about 3 s: several cuts
		}
		published <- nil
	}()
	var got []string
	browsertest.Eval(t, ctx, "nativeEventSource('/_ws', "+strconv.Itoa(n+1)+")", &got)
	require.NoError(t, <-published)
	want := make([]string, n+1)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	require.Equal(t, want, got, "lost, duplicated or reordered")
	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	require.Len(t, opened, 0, "the browser got a new peer instead of resuming its own")
	t.Logf("%d cuts", proxy.Cuts())
}
