package redis_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/pubsubtest"
	"github.com/anyws/anyws/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
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

// TestHistoryScriptFlushed: publishes call the append script by its
// hash; a Redis that forgot it (SCRIPT FLUSH, or a restart) still runs
// them (each batch loads it first), and nothing is lost.
func TestHistoryScriptFlushed(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	b, err := redis.NewHistory(&redis.Options{URL: srv.URL(), Prefix: "flush:"}, nil)
	require.NoError(t, err)
	got := make(chan pubsub.Message, 16)
	require.NoError(t, b.Start("n1", func(m pubsub.Message) { got <- m }, func(err error) { t.Error(err) }))
	t.Cleanup(func() { _ = b.Close() })
	require.NoError(t, b.Subscribe("t"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Sync(ctx))
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer c.Close()
	for i := range 3 {
		require.NoError(t, c.ScriptFlush(ctx).Err())
		require.NoError(t, b.Publish(pubsub.Message{Topic: "t", Data: []byte{byte('a' + i)}}))
		require.NoError(t, b.Sync(ctx))
		select {
		case m := <-got:
			require.Equal(t, uint64(i+1), m.Position.Offset)
		case <-ctx.Done():
			t.Fatal("the publish after SCRIPT FLUSH never arrived")
		}
	}
	require.Zero(t, b.Stats().Failed)
}

// TestClusterHistory runs the cluster scenarios (fan-out to WebSocket and
// SSE peers on three nodes, uplink routing, a dead node, an outage with
// every publish made during it reported) in history mode.
func TestClusterHistory(t *testing.T) {
	t.Parallel()
	clustertest.RunOnServers(t, testservers.Redis, "history")
}

// TestPeerStoreConformance runs the PeerStore suite on history brokers
// (the Hub keeps peer records only with a HistoryBroker), a prefix per
// bus.
func TestPeerStoreConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	pubsubtest.RunPeerStore(t, func(t *testing.T) pubsubtest.Bus {
		prefix := "peers-" + rand.Text()[:10] + ":"
		return func() pubsub.Broker {
			b, err := redis.NewHistory(&redis.Options{URL: srv.URL(), Prefix: prefix}, nil)
			require.NoError(t, err)
			return b
		}
	})
}
