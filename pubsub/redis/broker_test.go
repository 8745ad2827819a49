package redis_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/pubsubtest"
	"github.com/anyws/anyws/pubsub/redis"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	pubsubtest.Run(t, func(t *testing.T) pubsubtest.Bus {
		prefix := "test-" + rand.Text()[:10] + ":"
		return func() pubsub.Broker {
			b, err := redis.New(&redis.Options{URL: srv.URL(), Prefix: prefix})
			require.NoError(t, err)
			return b
		}
	})
}

func TestNewNeedsClientOrURL(t *testing.T) {
	t.Parallel()
	_, err := redis.New(nil)
	require.ErrorContains(t, err, "Options.Client or Options.URL")
	_, err = redis.New(&redis.Options{URL: "http://nope"})
	require.ErrorContains(t, err, "redis: parse Options.URL")
}

// TestPresenceConformance runs with a 1 s TTL: a killed node's entries
// expire in real time, and the suite waits for their leave events.
func TestPresenceConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.Redis(t)
	pubsubtest.RunPresence(t, func(t *testing.T) pubsubtest.PresenceBus {
		prefix := "presence-" + rand.Text()[:10] + ":"
		return pubsubtest.PresenceBus{New: func() pubsub.Broker {
			b, err := redis.New(&redis.Options{URL: srv.URL(), Prefix: prefix, PresenceTTL: time.Second})
			require.NoError(t, err)
			return b
		}}
	})
}
