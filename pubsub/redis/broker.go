package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/catchup"
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
	// PresenceTTL is how long a presence entry outlives its node's last
	// renewal (pubsub.Presence, presence.go); nodes renew every third of
	// it. Default pubsub.DefaultPresenceTTL.
	PresenceTTL time.Duration
}

// Broker relays a Hub's publishes through Redis Pub/Sub. It implements
// pubsub.Broker, pubsub.Syncer and pubsub.Requester. A Broker serves one
// Hub: make one per Hub.
type Broker struct {
	client goredis.UniversalClient
	own    bool
	// pub sends publishes, requests and replies. Its commands are never
	// retried: go-redis re-runs a whole pipeline whose connection broke,
	// and the commands Redis had already run would then reach the other
	// nodes twice. A failed command is reported lost instead.
	pub    goredis.UniversalClient
	ownPub bool
	prefix string
	queue  int
	hist   *historyState    // history mode (history.go), or nil
	pres   presenceState    // presence.go
	track  *catchup.Tracker // history mode: orders deliveries, catches up

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
	outage   relay.Outage
	health   health
	wg       sync.WaitGroup // the read and control loops

	syncMu sync.Mutex
	syncs  map[string]chan struct{} // PING payload → Sync waiting for its PONG
	// rechecks: recheck PING payload → the topics it rechecks (history
	// mode, under syncMu).
	rechecks map[string][]string
	syncSeq  atomic.Uint64
	syncReq  chan struct{}

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
	// settle is how long after this node's subscription came back its
	// publishes are still reported as possibly lost: the other nodes
	// notice the outage and resubscribe on their own, up to a second of
	// back-off apart (readLoop), and a publish Redis runs before they
	// have is lost for them.
	settle = 2 * time.Second
	// readTimeout is how long the subscription may stay silent before a
	// PING checks that its connection is alive.
	readTimeout = 5 * time.Second
	// maxHandlers bounds the requests of other nodes served at once, and
	// handlerBacklog those waiting for a free handler; past both a
	// request is answered "busy" at once (pubsub.ErrBusy).
	maxHandlers    = 256
	handlerBacklog = 4096
)

// New returns a broker on opts.Client, or on a client for opts.URL. It
// does not connect: the Hub's Start does, and a Redis that is down at
// start is retried like one that went down later.
func New(opts *Options) (*Broker, error) {
	if opts == nil || (opts.Client == nil && opts.URL == "") {
		return nil, errors.New("redis: Options.Client or Options.URL is required")
	}
	b := &Broker{client: opts.Client, prefix: opts.Prefix, queue: opts.QueueSize}
	b.pres.ttl = opts.PresenceTTL
	if b.client == nil {
		o, err := goredis.ParseURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("redis: parse Options.URL: %w", err)
		}
		o.MaxRetries, o.DialerRetries = -1, 1
		b.client, b.own = goredis.NewClient(o), true
		b.pub = b.client
	} else {
		b.pub, b.ownPub = noRetries(b.client)
	}
	if b.prefix == "" {
		b.prefix = defaultPrefix
	}
	if b.queue <= 0 {
		b.queue = defaultQueueSize
	}
	return b, nil
}

// noRetries returns a client like c that never retries a command, and
// whether it is a new one (which the broker must close). A client of
// another kind is used as it is: give it MaxRetries -1 yourself.
func noRetries(c goredis.UniversalClient) (goredis.UniversalClient, bool) {
	switch c := c.(type) {
	case *goredis.Client:
		o := *c.Options()
		o.MaxRetries, o.DialerRetries = -1, 1
		return goredis.NewClient(&o), true
	case *goredis.ClusterClient:
		o := *c.Options()
		o.MaxRetries, o.DialerRetries = -1, 1
		return goredis.NewClusterClient(&o), true
	case *goredis.Ring:
		o := *c.Options()
		o.MaxRetries, o.DialerRetries = -1, 1
		return goredis.NewRing(&o), true
	}
	return c, false
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
		b.handlers = relay.NewHandlers(maxHandlers, handlerBacklog)
		b.syncs = make(map[string]chan struct{})
		b.syncReq = make(chan struct{}, 1)
		b.pending = make(map[uint64]chan wire.Envelope)
		b.ps = b.client.Subscribe(b.ctx)
		b.topics.Set(b.inbox, true)
		if b.hist != nil {
			b.startTracker() // history.go
		}
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
	if b.track != nil {
		// History mode: where the topic stands now, not when the send
		// loop gets to the SUBSCRIBE: what is published meanwhile is for
		// this node's new subscriber too.
		ctx, cancel := context.WithTimeout(context.Background(), baselineTimeout)
		top, known := b.top(ctx, topic)
		cancel()
		b.track.Subscribe(topic, top, known)
	}
	b.topics.Set(b.topicChannel(topic), true)
	return nil
}

// baselineTimeout bounds Subscribe's read of a topic's newest position in
// history mode (during an outage the topic then starts at the first
// message that arrives).
const baselineTimeout = time.Second

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

// send pipelines one batch of publishes, on the outbox's goroutine. No
// command is retried (see Broker.pub), so no publish reaches the other
// nodes twice; every publish that may not have reached them is counted
// lost and reported: those that failed, and every one sent while the
// subscription connection is down or has just come back (Redis may have
// restarted, and the other nodes may not have resubscribed yet).
func (b *Broker) send(batch []pubsub.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	doubtful := b.health.doubtful()
	var cmds []goredis.Cmder
	var execErr error
	if b.hist != nil {
		cmds, execErr = b.hist.exec(ctx, b, batch) // history.go
	} else {
		pipe := b.pub.Pipeline()
		for _, m := range batch {
			pipe.Publish(ctx, b.topicChannel(m.Topic), wire.AppendPublish(nil, m))
		}
		cmds, execErr = pipe.Exec(ctx)
	}
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
	if len(cmds) == 0 && execErr != nil {
		lost, first = uint64(len(batch)), execErr
	}
	// In history mode a stored publish reaches every node (a node that
	// resubscribes late catches up from the stream): no doubt.
	if doubtful && b.hist == nil && lost < uint64(len(batch)) {
		lost = uint64(len(batch))
		if first == nil {
			first = errors.New("the connection to Redis was lost and is not known to be restored on every node")
		}
	}
	b.stats.Published.Add(uint64(len(batch)) - lost)
	if lost > 0 {
		b.stats.Failed.Add(lost)
		what := "lost or not known to have reached every node"
		if b.hist != nil {
			what = "not stored (or not known to be)"
		}
		b.outage.Lost(lost, fmt.Errorf("redis: %d publishes %s: %w", lost, what, first), b.fail)
		return
	}
	b.outage.OK("redis", b.fail)
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
			if b.track != nil {
				b.track.Close() // first: a read of the history it is making ends now
			}
			err = b.ps.Close()
			b.wg.Wait()
			b.stopPresence()
			b.gate.Close()
		} else {
			b.gate.Close()
		}
		if b.own {
			err = errors.Join(err, b.client.Close())
		}
		if b.ownPub {
			err = errors.Join(err, b.pub.Close())
		}
	})
	return err
}

// health is what the read loop knows of the subscription connection,
// which sees an outage first: Redis closes it when it stops.
type health struct {
	mu   sync.Mutex
	down bool
	upAt time.Time
}

func (h *health) lost() {
	h.mu.Lock()
	h.down = true
	h.mu.Unlock()
}

func (h *health) back() {
	h.mu.Lock()
	h.down, h.upAt = false, time.Now()
	h.mu.Unlock()
}

// doubtful reports whether a publish sent now may miss nodes that have
// not resubscribed yet.
func (h *health) doubtful() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down || (!h.upAt.IsZero() && time.Since(h.upAt) < settle)
}
