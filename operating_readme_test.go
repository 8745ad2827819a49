package anyws_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// TestReadmeOperating runs the README's "Operating anyws" snippets
// (internal/test/readme checks that they are this code).
func TestReadmeOperating(t *testing.T) {
	t.Parallel()
	hub := readmeLogger(anyws.Hooks{})
	mux := http.NewServeMux()
	readmeReady(hub, mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	n, err := readmeFilter(hub)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, hub.Close())
}

// readmeReady is the README's readiness snippet.
func readmeReady(hub *anyws.Hub, mux *http.ServeMux) {
	mux.Handle("/readyz", hub.ReadyHandler()) // 503 while shutting down or while the broker is down
}

// readmeFilter is the README's filtered publish.
func readmeFilter(hub *anyws.Hub) (int, error) {
	n, err := hub.PublishLocal("ops", "deploy at 5", func(p *anyws.Peer) bool {
		role, _ := anyws.Value[string](p, "role")
		return role == "admin"
	})
	return n, err
}

// readmeLogger is the README's logging snippet.
func readmeLogger(hooks anyws.Hooks) *anyws.Hub {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hub := anyws.New(hooks, &anyws.Options{Logger: logger})
	return hub
}
