package clustertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// RunReadiness: a Hub on the broker newBroker makes for srv is ready
// while the server is up, answers 503 with down (the start of the body:
// "anyws: broker: redis: not connected", say) once it is killed, and is
// ready again after a restart.
func RunReadiness(t *testing.T, srv *testservers.Server, b pubsub.Broker, down string) {
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: b})
	defer hub.Close()
	probe := httptest.NewServer(hub.ReadyHandler())
	defer probe.Close()
	waitStatus(t, probe.URL, http.StatusOK, "ok")
	srv.Kill()
	waitStatus(t, probe.URL, http.StatusServiceUnavailable, down)
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
		if res.StatusCode == status && strings.HasPrefix(string(body), prefix) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the readiness probe did not answer %d %q within 30 s; last: %s", status, prefix, got)
}
