package pubsub_test

import (
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/pubsubtest"
)

func TestMemoryConformance(t *testing.T) {
	t.Parallel()
	pubsubtest.Run(t, func(*testing.T) pubsubtest.Bus {
		return pubsub.NewMemory().Broker
	})
}

func TestMemoryHistoryConformance(t *testing.T) {
	t.Parallel()
	pubsubtest.RunHistory(t, func(_ *testing.T, limits pubsub.HistoryLimits) pubsubtest.Bus {
		return pubsub.NewMemoryHistory(&limits).Broker
	})
}

func TestMemoryPresenceConformance(t *testing.T) {
	t.Parallel()
	pubsubtest.RunPresence(t, func(*testing.T) pubsubtest.PresenceBus {
		bus := pubsub.NewMemory()
		var mu sync.Mutex
		now := time.Unix(1000, 0)
		bus.SetPresenceClock(time.Minute, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		return pubsubtest.PresenceBus{New: bus.Broker, Expire: func() {
			mu.Lock()
			now = now.Add(time.Minute)
			mu.Unlock()
			bus.ExpirePresence()
		}}
	})
}

func TestMemoryPeerStoreConformance(t *testing.T) {
	t.Parallel()
	pubsubtest.RunPeerStore(t, func(*testing.T) pubsubtest.Bus {
		return pubsub.NewMemoryHistory(nil).Broker
	})
}
