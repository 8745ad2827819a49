package nats_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/clustertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	"go.uber.org/goleak"
)

// clusterTTL is the cluster scenarios' presence TTL: short, so a node
// killed with SIGKILL expires within seconds, and long enough that a
// live node's renewal, due every TTL/3, is never 2 s late on a loaded
// machine (then its entries would expire: the presence scenario checks
// that no live member leaves).
const clusterTTL = 3 * time.Second

// TestMain runs the tests, or, in the process a cluster scenario starts
// and kills, a cluster node (clustertest.NodeMain).
func TestMain(m *testing.M) {
	// TestCluster's and TestClusterHistory's brokers.
	clustertest.NodeMain(map[string]clustertest.NewBroker{
		"pubsub": func(url, id string) (pubsub.Broker, error) {
			return nats.New(&nats.Options{URL: url, Prefix: "cluster" + id, PresenceTTL: clusterTTL})
		},
		"history": func(url, id string) (pubsub.Broker, error) {
			return nats.NewHistory(&nats.Options{URL: url, Prefix: "clusterh" + id, PresenceTTL: clusterTTL}, nil, nil)
		},
	})
	goleak.VerifyTestMain(m)
}
