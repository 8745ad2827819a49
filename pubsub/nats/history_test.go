package nats_test

import (
	"crypto/rand"
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/anyws/anyws/pubsub/pubsubtest"
	"github.com/stretchr/testify/require"
)

func TestHistoryConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pubsubtest.RunHistory(t, func(t *testing.T, limits pubsub.HistoryLimits) pubsubtest.Bus {
		prefix := "hist" + rand.Text()[:10]
		return func() pubsub.Broker {
			b, err := nats.NewHistory(&nats.Options{URL: srv.URL(), Prefix: prefix}, &limits, &nats.HistoryOptions{Memory: true})
			require.NoError(t, err)
			return b
		}
	}, "TrimByBytes")
}

// TestHistoryOutage: kill -9 of nats-server (JetStream on disk) while
// three nodes publish, restart on the same port with the same store:
// every stored publish reaches every client once, in order; every other
// one was reported to its publisher.
func TestHistoryOutage(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	prefix := "outage" + rand.Text()[:10]
	clustertest.RunHistoryOutage(t, srv, srv.Addr(), func(addr string) pubsub.Broker {
		b, err := nats.NewHistory(&nats.Options{URL: "nats://" + addr, Prefix: prefix}, nil, nil)
		require.NoError(t, err)
		return b
	})
}

// TestClusterHistory runs the cluster scenarios (fan-out to WebSocket and
// SSE peers on three nodes, uplink routing, a dead node, an outage with
// every publish made during it reported) in history mode.
func TestClusterHistory(t *testing.T) {
	t.Parallel()
	clustertest.RunOnServers(t, testservers.NATS, "history")
}

// TestPeerStoreConformance runs the PeerStore suite on history brokers
// (the Hub keeps peer records only with a HistoryBroker), a prefix, and
// so a bucket, per bus.
func TestPeerStoreConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pubsubtest.RunPeerStore(t, func(t *testing.T) pubsubtest.Bus {
		prefix := "peers" + rand.Text()[:10]
		return func() pubsub.Broker {
			b, err := nats.NewHistory(&nats.Options{URL: srv.URL(), Prefix: prefix}, nil, &nats.HistoryOptions{Memory: true})
			require.NoError(t, err)
			return b
		}
	})
}
