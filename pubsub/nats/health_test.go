package nats_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// TestReadiness: see clustertest.RunReadiness.
func TestReadiness(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	b, err := nats.New(&nats.Options{URL: srv.URL(), Prefix: "ready"})
	require.NoError(t, err)
	clustertest.RunReadiness(t, srv, b, "anyws: broker: nats: not connected")
}
