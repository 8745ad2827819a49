package anyws_test

import (
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// wishBroker records the last Subscribe or Unsubscribe of each topic, as
// the networked brokers do (they apply the last wish later). It yields in
// the middle of each call, so that a Hub that does not order its index
// change and its broker call together shows it.
type wishBroker struct {
	mu   sync.Mutex
	want map[string]bool
}

func (b *wishBroker) Start(string, func(pubsub.Message), func(error)) error { return nil }
func (b *wishBroker) Publish(pubsub.Message) error                          { return nil }
func (b *wishBroker) Close() error                                          { return nil }
func (b *wishBroker) Subscribe(topic string) error                          { return b.set(topic, true) }
func (b *wishBroker) Unsubscribe(topic string) error                        { return b.set(topic, false) }

func (b *wishBroker) set(topic string, on bool) error {
	runtime.Gosched()
	b.mu.Lock()
	b.want[topic] = on
	b.mu.Unlock()
	return nil
}

// TestBrokerSubscriptionFollowsIndex churns two peers on each of many
// topics from two goroutines, and checks that the broker is left
// subscribed to every topic that still has a local subscriber (it once
// was not, and those peers missed every other node's publishes).
func TestBrokerSubscriptionFollowsIndex(t *testing.T) {
	t.Parallel()
	b := &wishBroker{want: make(map[string]bool)}
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: b})
	defer hub.Close()
	p1, p2 := connect(t, hub, "/"), connect(t, hub, "/")
	defer p1.finish()
	defer p2.finish()
	const topics, rounds = 64, 300
	var wg sync.WaitGroup
	for i := range topics {
		topic := "t" + strconv.Itoa(i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range rounds {
				p1.s.Peer().Subscribe(topic)
				p1.s.Peer().Unsubscribe(topic)
			}
			p1.s.Peer().Subscribe(topic) // stays
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				p2.s.Peer().Subscribe(topic)
				p2.s.Peer().Unsubscribe(topic)
			}
		}()
	}
	wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	var lost []string
	for i := range topics {
		if topic := "t" + strconv.Itoa(i); !b.want[topic] {
			lost = append(lost, topic)
		}
	}
	require.Empty(t, lost, "topics with a local subscriber left unsubscribed on the broker")
}
