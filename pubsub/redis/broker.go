package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/relay"
	"github.com/anyws/anyws/pubsub/internal/wire"
	goredis "github.com/redis/go-redis/v9"
)

// Options configure a Broker. Client or URL is required.
type Options struct {
	// Client is the connection to Redis your program already has. The
	// broker uses it and never closes it.
	Client goredis.UniversalClient
	// URL, used when Client is nil, is a redis:// or rediss:// URL; the
	// broker then owns its client and closes it with the broker.
	URL string
	// Prefix starts every channel name, so unrelated applications on one
	// Redis never mix. Default "anyws:".
	Prefix string
	// QueueSize bounds the publishes waiting to be sent. A Publish that
	// finds it full is lost and reported. Default 8192.
	QueueSize int
}

// Broker relays a Hub's publishes through Redis Pub/Sub. It implements
// pubsub.Broker, pubsub.Syncer and pubsub.Requester. A Broker serves one
// Hub: make one per Hub.
type Broker struct {
	client goredis.UniversalClient
	own    bool
	prefix string
	queue  int

	startOnce sync.Once
	started   atomic.Bool
	closeOnce sync.Once

	node    string
	inbox   string
	deliver func(pubsub.Message)
	fail    func(error)

	ctx      context.Context
	cancel   context.CancelFunc
	ps       *goredis.PubSub
	out      *relay.Outbox
	topics   *relay.Topics
	handlers *relay.Handlers
	gate     relay.Gate
	stats    relay.Counters
	wg       sync.WaitGroup // the read and control loops

	syncMu  sync.Mutex
	syncs   map[string]chan struct{} // PING payload → Sync waiting for its PONG
	syncSeq atomic.Uint64
	syncReq chan struct{}

	pendMu     sync.Mutex
	pending    map[uint64]chan wire.Envelope // request id → its reply
	reqSeq     atomic.Uint64
	inboxReady atomic.Bool // Redis has this node's SUBSCRIBE to its channel (see Request)
}

var (
	_ pubsub.Broker    = (*Broker)(nil)
	_ pubsub.Syncer    = (*Broker)(nil)
	_ pubsub.Requester = (*Broker)(nil)
)

var errClosed = errors.New("redis: broker closed")

const (
	defaultPrefix    = "anyws:"
	defaultQueueSize = 8192
	// opTimeout bounds one pipelined batch, a subscription change, a ping.
	opTimeout = 10 * time.Second
	// readTimeout is how long the subscription may stay silent before a
	// PING checks that its connection is alive.
	readTimeout = 5 * time.Second
	// maxHandlers bounds the requests of other nodes served at once.
	maxHandlers = 256
)

// New returns a broker on opts.Client, or on a client for opts.URL. It
// does not connect: the Hub's Start does, and a Redis that is down at
// start is retried like one that went down later.
func New(opts *Options) (*Broker, error) {
	if opts == nil || (opts.Client == nil && opts.URL == "") {
		return nil, errors.New("redis: Options.Client or Options.URL is required")
	}
	b := &Broker{client: opts.Client, prefix: opts.Prefix, queue: opts.QueueSize}
	if b.client == nil {
		o, err := goredis.ParseURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("redis: parse Options.URL: %w", err)
		}
		b.client, b.own = goredis.NewClient(o), true
	}
	if b.prefix == "" {
		b.prefix = defaultPrefix
	}
	if b.queue <= 0 {
		b.queue = defaultQueueSize
	}
	return b, nil
}

func (b *Broker) topicChannel(topic string) string { return b.prefix + "t:" + topic }

func (b *Broker) nodeChannel(node string) string { return b.prefix + "n:" + node }

// Start implements pubsub.Broker: it starts the goroutines that keep the
// subscription connection, apply Subscribe and Unsubscribe, and send
// publishes.
func (b *Broker) Start(node string, deliver func(pubsub.Message), fail func(error)) error {
	err := errors.New("redis: Start called twice")
	b.startOnce.Do(func() {
		err = nil
		if fail == nil {
			fail = func(error) {}
		}
		b.node, b.deliver, b.fail = node, deliver, fail
		b.inbox = b.nodeChannel(node)
		b.ctx, b.cancel = context.WithCancel(context.Background())
		b.topics = relay.NewTopics()
		b.handlers = relay.NewHandlers(maxHandlers)
		b.syncs = make(map[string]chan struct{})
		b.syncReq = make(chan struct{}, 1)
		b.pending = make(map[uint64]chan wire.Envelope)
		b.ps = b.client.Subscribe(b.ctx)
		b.topics.Set(b.inbox, true)
		b.out = relay.NewOutbox(b.queue, b.send)
		b.wg.Add(2)
		go b.readLoop()
		go b.controlLoop()
		b.started.Store(true)
	})
	return err
}

// Subscribe implements pubsub.Broker. It returns at once; the broker
// subscribes on its own goroutine (see Sync).
func (b *Broker) Subscribe(topic string) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	b.topics.Set(b.topicChannel(topic), true)
	return nil
}

// Unsubscribe implements pubsub.Broker.
func (b *Broker) Unsubscribe(topic string) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	b.topics.Set(b.topicChannel(topic), false)
	return nil
}

// Publish implements pubsub.Broker: it queues m and returns. It fails at
// once, counting the message as lost, when the queue is full.
func (b *Broker) Publish(m pubsub.Message) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	m.Node = b.node
	if !b.out.Push(m) {
		b.stats.Failed.Add(1)
		return fmt.Errorf("redis: outbound queue full (%d messages, Options.QueueSize): publish to %q lost", b.queue, m.Topic)
	}
	return nil
}

// send pipelines one batch of publishes, on the outbox's goroutine.
func (b *Broker) send(batch []pubsub.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	pipe := b.client.Pipeline()
	for _, m := range batch {
		pipe.Publish(ctx, b.topicChannel(m.Topic), wire.AppendPublish(nil, m))
	}
	cmds, _ := pipe.Exec(ctx)
	var lost uint64
	var first error
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			lost++
			if first == nil {
				first = err
			}
		}
	}
	b.stats.Published.Add(uint64(len(batch)) - lost)
	if lost > 0 {
		b.stats.Failed.Add(lost)
		b.fail(fmt.Errorf("redis: %d publishes lost: %w", lost, first))
	}
}

// Stats returns the broker's counters.
func (b *Broker) Stats() pubsub.Stats { return b.stats.Stats() }

// Close implements pubsub.Broker: it sends what is queued, stops the
// broker's goroutines, waits for deliveries and request handlers in
// flight, and closes the client if the broker made it.
func (b *Broker) Close() error {
	var err error
	b.closeOnce.Do(func() {
		if b.started.Load() {
			b.out.Close()
			b.cancel()
			err = b.ps.Close()
			b.wg.Wait()
			b.gate.Close()
		} else {
			b.gate.Close()
		}
		if b.own {
			err = errors.Join(err, b.client.Close())
		}
	})
	return err
}
