package pubsub_test

import (
	"testing"

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
