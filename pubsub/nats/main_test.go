package nats_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"go.uber.org/goleak"
)

// TestMain runs the tests, or, in the process a cluster scenario starts
// and kills, a cluster node (clustertest.NodeMain).
func TestMain(m *testing.M) {
	// TestCluster's and TestClusterHistory's brokers (presence with a
	// 1 s TTL, so a node killed with SIGKILL expires soon).
	clustertest.NodeMain(map[string]clustertest.NewBroker{
		"pubsub": func(url, id string) (pubsub.Broker, error) {
			return nats.New(&nats.Options{URL: url, Prefix: "cluster" + id, PresenceTTL: time.Second})
		},
		"history": func(url, id string) (pubsub.Broker, error) {
			return nats.NewHistory(&nats.Options{URL: url, Prefix: "clusterh" + id, PresenceTTL: time.Second}, nil, nil)
		},
	})
	goleak.VerifyTestMain(m)
}
