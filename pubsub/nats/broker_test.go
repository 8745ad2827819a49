package nats_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"github.com/anyws/anyws/pubsub/pubsubtest"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pubsubtest.Run(t, func(t *testing.T) pubsubtest.Bus {
		prefix := "test" + rand.Text()[:10]
		return func() pubsub.Broker {
			b, err := nats.New(&nats.Options{URL: srv.URL(), Prefix: prefix})
			require.NoError(t, err)
			return b
		}
	})
}

func TestNewNeedsConnOrURL(t *testing.T) {
	t.Parallel()
	_, err := nats.New(&nats.Options{})
	require.ErrorContains(t, err, "Options.Conn or Options.URL")
}

// TestPresenceConformance runs with a 1 s TTL: a killed node's members
// expire in real time, and the suite waits for their leave events.
func TestPresenceConformance(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	pubsubtest.RunPresence(t, func(t *testing.T) pubsubtest.PresenceBus {
		prefix := "presence" + rand.Text()[:10]
		return pubsubtest.PresenceBus{New: func() pubsub.Broker {
			b, err := nats.New(&nats.Options{URL: srv.URL(), Prefix: prefix, PresenceTTL: time.Second})
			require.NoError(t, err)
			return b
		}}
	})
}
