package nats_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// TestReadiness: a Hub on this broker is ready while the server is up,
// answers 503 once it is killed, and is ready again after a restart.
func TestReadiness(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	b, err := nats.New(&nats.Options{URL: srv.URL(), Prefix: "ready"})
	require.NoError(t, err)
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: b})
	defer hub.Close()
	probe := httptest.NewServer(hub.ReadyHandler())
	defer probe.Close()
	waitStatus(t, probe.URL, http.StatusOK, "ok")
	srv.Kill()
	waitStatus(t, probe.URL, http.StatusServiceUnavailable, "anyws: broker: nats: not connected")
	srv.Restart()
	waitStatus(t, probe.URL, http.StatusOK, "ok")
}

// waitStatus polls the probe until it answers status with a body
// starting with prefix (bounded: the broker notices a dead server
// within seconds).
func waitStatus(t *testing.T, url string, status int, prefix string) {
	t.Helper()
	var got string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got = res.Status + " " + string(body)
		if res.StatusCode == status && len(body) >= len(prefix) && string(body[:len(prefix)]) == prefix {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the readiness probe did not answer %d %q within 30 s; last: %s", status, prefix, got)
}
