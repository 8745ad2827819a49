package clustertest_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/pubsub"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	clustertest.Run(t, func(*testing.T, bool) clustertest.Config {
		return clustertest.Config{NewBroker: pubsub.NewMemory().Broker}
	})
}

func BenchmarkMemoryThroughput3Nodes(b *testing.B) {
	clustertest.BenchThroughput(b, pubsub.NewMemory().Broker)
}

func BenchmarkMemoryLatency(b *testing.B) { clustertest.BenchLatency(b, pubsub.NewMemory().Broker) }
