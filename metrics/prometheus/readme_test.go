package prometheus_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	anywsprom "github.com/anyws/anyws/metrics/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
)

// serveMetrics is the README's snippet ("Operating anyws").
func serveMetrics(hooks anyws.Hooks, mux *http.ServeMux) (*anyws.Hub, error) {
	metrics, err := anywsprom.New(prom.DefaultRegisterer) // or your own registry
	if err != nil {
		return nil, err
	}
	hub := anyws.New(hooks, &anyws.Options{Metrics: metrics})
	mux.Handle("/metrics", promhttp.Handler())
	return hub, nil
}

// TestReadmeSnippet runs the snippet: /metrics serves anyws's metrics
// on the default registry, and registering twice fails.
func TestReadmeSnippet(t *testing.T) {
	mux := http.NewServeMux()
	hub, err := serveMetrics(anyws.Hooks{}, mux)
	require.NoError(t, err)
	defer hub.Close()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.True(t, strings.Contains(rec.Body.String(), "# TYPE anyws_publish_fanout histogram"), rec.Body.String())
	_, err = anywsprom.New(prom.DefaultRegisterer)
	require.Error(t, err, "the collectors are registered already")
}
