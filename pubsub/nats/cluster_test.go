package nats_test

import (
	"crypto/rand"
	"testing"

	"github.com/anyws/anyws/internal/clustertest"
	"github.com/anyws/anyws/internal/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/stretchr/testify/require"
)

// TestCluster runs three Hubs on one NATS: fan-out to WebSocket and SSE
// peers on every node, uplink routing, and a NATS restart mid-run (on
// a server of its own).
func TestCluster(t *testing.T) {
	t.Parallel()
	shared := testservers.NATS(t)
	clustertest.Run(t, func(t *testing.T) clustertest.Config {
		srv := shared
		var server interface {
			Kill()
			Restart()
		}
		if t.Name() == "TestCluster/Outage" {
			s := testservers.NATS(t)
			srv, server = s, s
		}
		prefix := "cluster" + rand.Text()[:10]
		return clustertest.Config{
			NewBroker: func() pubsub.Broker {
				b, err := nats.New(&nats.Options{URL: srv.URL(), Prefix: prefix})
				require.NoError(t, err)
				return b
			},
			Server: server,
		}
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
