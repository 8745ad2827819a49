package nats_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// TestCluster (presence with a 1 s TTL, so a killed node expires soon) runs three Hubs on one NATS: fan-out to WebSocket and SSE
// peers on every node, uplink routing, and a NATS restart mid-run (on
// a server of its own).
func TestCluster(t *testing.T) {
	t.Parallel()
	clustertest.RunOnServers(t, testservers.NATS, func(t testing.TB, url, id string) pubsub.Broker {
		b, err := nats.New(&nats.Options{URL: url, Prefix: "cluster" + id, PresenceTTL: time.Second})
		require.NoError(t, err)
		return b
	})
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
