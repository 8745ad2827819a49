package redis_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/redis"
	"github.com/stretchr/testify/require"
)

// hubModes are the broker's two modes, for the Hub benchmarks.
func hubModes(b *testing.B) map[string]func() pubsub.Broker {
	srv := testservers.Redis(b)
	return map[string]func() pubsub.Broker{
		"pubsub": func() pubsub.Broker {
			br, err := redis.New(&redis.Options{URL: srv.URL(), Prefix: "bench-pubsub:"})
			require.NoError(b, err)
			return br
		},
		"history": func() pubsub.Broker {
			br, err := redis.NewHistory(&redis.Options{URL: srv.URL(), Prefix: "bench-history:"}, nil)
			require.NoError(b, err)
			return br
		},
	}
}

// BenchmarkHub3Nodes: publishes through three Hubs, each with a
// WebSocket client, with history off and on:
// go test -run '^$' -bench Hub ./pubsub/redis
func BenchmarkHub3Nodes(b *testing.B) {
	for _, mode := range []string{"pubsub", "history"} {
		b.Run(mode, func(b *testing.B) { clustertest.BenchHubThroughput(b, hubModes(b)[mode]) })
	}
}

// BenchmarkHubLatency: from Hub.Publish on one node to a WebSocket
// client of another, history off and on.
func BenchmarkHubLatency(b *testing.B) {
	for _, mode := range []string{"pubsub", "history"} {
		b.Run(mode, func(b *testing.B) { clustertest.BenchHubLatency(b, hubModes(b)[mode]) })
	}
}
