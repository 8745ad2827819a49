package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startInProcess serves implementation name from this process, on
// loopback, with HTTP/1.1 and h2c like the child server; a Node control
// runs as its own process.
func startInProcess(t *testing.T, name string) *server {
	t.Helper()
	info, err := lookupImpl(name)
	require.NoError(t, err)
	if info.node != "" {
		s, err := startNode(info)
		require.NoError(t, err)
		t.Cleanup(s.stop)
		return s
	}
	im := info.newImpl(serverConfig{impl: name, queue: 4096, writeTimeout: 10 * time.Second})
	ts := httptest.NewUnstartedServer(serverMux(im))
	ts.Config.Protocols = new(http.Protocols)
	ts.Config.Protocols.SetHTTP1(true)
	ts.Config.Protocols.SetUnencryptedHTTP2(true)
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		im.shutdown(ctx)
		ts.CloseClientConnections()
		ts.Close()
	})
	return &server{impl: name, info: info, addr: ts.Listener.Addr().String()}
}

// TestControlsDeliver is the bench's own check of every implementation it
// compares: each serves a 3-subscriber, 20-event broadcast over every
// transport it supports (every event, in order, to every subscriber), and
// a 4-client chat round where it has an uplink.
func TestControlsDeliver(t *testing.T) {
	t.Parallel()
	for _, info := range implInfos {
		if info.name == "norecovery" {
			continue // anyws with one option changed
		}
		t.Run(info.name, func(t *testing.T) {
			t.Parallel()
			for _, tr := range info.broadcast {
				t.Run("broadcast/"+tr, func(t *testing.T) {
					s := startInProcess(t, info.name)
					r, err := runBroadcast(s, broadcastConfig{transport: tr, subs: 3, events: 20, size: 64}, 30*time.Second)
					require.NoError(t, err, "%s over %s", info.name, tr)
					require.NoError(t, checkDelivery(r))
					require.Equal(t, 3*20, r.delivered)
				})
			}
			for _, tr := range info.chat {
				t.Run("chat/"+tr, func(t *testing.T) {
					s := startInProcess(t, info.name)
					r, err := runChat(s, tr, 4, 20, 1)
					require.NoError(t, err, "%s chat over %s", info.name, tr)
					require.Positive(t, r.median, "messages delivered in the measured window")
				})
			}
		})
	}
}
