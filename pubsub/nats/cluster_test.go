package nats_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// TestCluster runs three Hubs on one NATS: fan-out to WebSocket and SSE
// peers on every node, uplink routing, and a NATS restart mid-run (on
// a server of its own).
func TestCluster(t *testing.T) {
	t.Parallel()
	clustertest.RunOnServers(t, testservers.NATS, "pubsub")
}

func newBenchBroker(b *testing.B) func() pubsub.Broker {
	srv := testservers.NATS(b)
	return func() pubsub.Broker {
		br, err := nats.New(&nats.Options{URL: srv.URL()})
		require.NoError(b, err)
		return br
	}
}

// BenchmarkThroughput3Nodes: go test -run '^$' -bench . ./pubsub/nats
func BenchmarkThroughput3Nodes(b *testing.B) {
	clustertest.BenchThroughput(b, newBenchBroker(b))
}

func BenchmarkLatency(b *testing.B) { clustertest.BenchLatency(b, newBenchBroker(b)) }
