package redis_test

import (
	"crypto/rand"
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/pubsubtest"
	"github.com/anyws/anyws/pubsub/redis"
	"github.com/stretchr/testify/require"
)

func TestHistoryConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	pubsubtest.RunHistory(t, func(t *testing.T, limits pubsub.HistoryLimits) pubsubtest.Bus {
		prefix := "hist-" + rand.Text()[:10] + ":"
		return func() pubsub.Broker {
			b, err := redis.NewHistory(&redis.Options{URL: srv.URL(), Prefix: prefix}, &limits)
			require.NoError(t, err)
			return b
		}
	}, "TrimByBytes")
}

// TestHistoryOutage: kill -9 of redis-server (append-only file, synced
// at every write) while three nodes publish, restart on the same port:
// every stored publish reaches every client once, in order; every other
// one was reported to its publisher.
func TestHistoryOutage(t *testing.T) {
	t.Parallel()
	srv := testservers.RedisPersistent(t)
	prefix := "outage-" + rand.Text()[:10] + ":"
	clustertest.RunHistoryOutage(t, srv, srv.Addr(), func(addr string) pubsub.Broker {
		b, err := redis.NewHistory(&redis.Options{URL: "redis://" + addr, Prefix: prefix}, nil)
		require.NoError(t, err)
		return b
	})
}
