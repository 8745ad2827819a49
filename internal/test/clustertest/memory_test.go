package clustertest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/pubsub"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	clustertest.Run(t, func(*testing.T, bool) clustertest.Config {
		bus := pubsub.NewMemory()
		// The presence TTL runs on a clock the Presence scenario moves.
		var mu sync.Mutex
		now := time.Unix(1000, 0)
		bus.SetPresenceClock(time.Minute, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		return clustertest.Config{NewBroker: bus.Broker, ExpirePresence: func() {
			mu.Lock()
			now = now.Add(time.Minute)
			mu.Unlock()
			bus.ExpirePresence()
		}}
	})
}

func BenchmarkMemoryThroughput3Nodes(b *testing.B) {
	clustertest.BenchThroughput(b, pubsub.NewMemory().Broker)
}

func BenchmarkMemoryLatency(b *testing.B) { clustertest.BenchLatency(b, pubsub.NewMemory().Broker) }
