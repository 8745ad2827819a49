package redis_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub/redis"
	"github.com/stretchr/testify/require"
)

// TestReadiness: see clustertest.RunReadiness.
func TestReadiness(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	b, err := redis.New(&redis.Options{URL: srv.URL(), Prefix: "ready"})
	require.NoError(t, err)
	clustertest.RunReadiness(t, srv, b, "anyws: broker: redis: not connected")
}
