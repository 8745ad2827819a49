package sse_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// TestLoad: 300 streams on loopback, 200 publishes; every subscriber
// receives every event, in order. Bounded in count; no timing asserted.
func TestLoad(t *testing.T) {
	t.Parallel()
	const subscribers, events = 300, 200
	e := newEnv(t, envConfig{})
	e.rec.onOpen = func(p *anyws.Peer) { p.Subscribe("load") }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan error, subscribers)
	for range subscribers {
		req, err := http.NewRequestWithContext(ctx, "GET", e.url, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		go func() {
			defer resp.Body.Close()
			p := sse.NewParser(resp.Body, 0)
			for i := range events {
				ev, err := p.Next()
				if err != nil {
					results <- fmt.Errorf("event %d: %w", i, err)
					return
				}
				if want := fmt.Sprint("event ", i); string(ev.Data) != want {
					results <- fmt.Errorf("got %q, want %q", ev.Data, want)
					return
				}
			}
			results <- nil
		}()
	}
	for range subscribers {
		e.rec.peer(t)
	}
	for i := range events {
		require.NoError(t, e.hub.Publish("load", fmt.Sprint("event ", i)))
	}
	for range subscribers {
		require.NoError(t, recv(t, results, "a subscriber"))
	}
	cancel()
	for range subscribers {
		e.rec.close(t)
	}
	require.Empty(t, e.hub.Peers())
}
