package nats

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/relay"
	"github.com/anyws/anyws/pubsub/internal/wire"
	gonats "github.com/nats-io/nats.go"
)

// Options configure a Broker. Conn or URL is required.
type Options struct {
	// Conn is the connection your program already has. The broker uses
	// it and never closes it. Give it MaxReconnects(-1) so that it never
	// stops reconnecting.
	Conn *gonats.Conn
	// URL, used when Conn is nil, is a nats:// URL (or a comma-separated
	// list). The broker then owns its connection: it retries a server
	// that is down at start, reconnects forever, and closes it with the
	// broker.
	URL string
	// Prefix starts every subject, so unrelated applications on one NATS
	// never mix. Default "anyws".
	Prefix string
	// QueueSize bounds the publishes waiting to be sent. A Publish that
	// finds it full is lost and reported. Default 8192.
	QueueSize int
	// ReconnectWait is the delay between reconnection attempts of a
	// connection the broker made from URL. Default 250 ms.
	ReconnectWait time.Duration
}

// Broker relays a Hub's publishes through NATS. It implements
// pubsub.Broker, pubsub.Syncer and pubsub.Requester. A Broker serves one
// Hub: make one per Hub.
type Broker struct {
	nc     *gonats.Conn
	url    string
	wait   time.Duration
	prefix string
	queue  int

	startOnce sync.Once
	started   atomic.Bool
	closeOnce sync.Once

	node    string
	deliver func(pubsub.Message)
	fail    func(error)

	ctx      context.Context
	cancel   context.CancelFunc
	msgs     chan *gonats.Msg // every topic subscription feeds it, in arrival order
	subs     map[string]*gonats.Subscription
	inbox    *gonats.Subscription
	out      *relay.Outbox
	topics   *relay.Topics
	handlers *relay.Handlers
	gate     relay.Gate
	stats    relay.Counters
	wg       sync.WaitGroup
	reconns0 uint64 // the connection's reconnects before Start
	syncReq  chan chan error
}

var (
	_ pubsub.Broker    = (*Broker)(nil)
	_ pubsub.Syncer    = (*Broker)(nil)
	_ pubsub.Requester = (*Broker)(nil)
)

var errClosed = errors.New("nats: broker closed or not started")

const (
	defaultPrefix        = "anyws"
	defaultQueueSize     = 8192
	defaultReconnectWait = 250 * time.Millisecond
	// msgBuffer is how many received messages wait for delivery; NATS
	// drops messages for a subscriber that falls further behind.
	msgBuffer = 1 << 14
	// maxHandlers bounds the requests of other nodes served at once, and
	// handlerBacklog those waiting for a free handler; past both a
	// request is answered "busy" at once (pubsub.ErrBusy).
	maxHandlers    = 256
	handlerBacklog = 4096
)

// New returns a broker on opts.Conn, or on a connection to opts.URL made
// at Start.
func New(opts *Options) (*Broker, error) {
	if opts == nil || (opts.Conn == nil && opts.URL == "") {
		return nil, errors.New("nats: Options.Conn or Options.URL is required")
	}
	b := &Broker{nc: opts.Conn, url: opts.URL, wait: opts.ReconnectWait, prefix: opts.Prefix, queue: opts.QueueSize}
	if b.prefix == "" {
		b.prefix = defaultPrefix
	}
	if b.queue <= 0 {
		b.queue = defaultQueueSize
	}
	if b.wait <= 0 {
		b.wait = defaultReconnectWait
	}
	return b, nil
}

// token encodes a name as one subject token.
func token(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "=" + base64.RawURLEncoding.EncodeToString([]byte(s))
		}
	}
	if s == "" {
		return "="
	}
	return s
}

func (b *Broker) topicSubject(topic string) string { return b.prefix + ".t." + token(topic) }

func (b *Broker) nodeSubject(node string) string { return b.prefix + ".n." + token(node) }

// Start implements pubsub.Broker: it connects (when given a URL),
// subscribes this node's request subject and starts the goroutines that
// deliver, apply Subscribe and Unsubscribe, and send publishes.
func (b *Broker) Start(node string, deliver func(pubsub.Message), fail func(error)) error {
	err := errors.New("nats: Start called twice")
	b.startOnce.Do(func() { err = b.start(node, deliver, fail) })
	return err
}

func (b *Broker) start(node string, deliver func(pubsub.Message), fail func(error)) error {
	if fail == nil {
		fail = func(error) {}
	}
	b.node, b.deliver, b.fail = node, deliver, fail
	if b.nc == nil {
		nc, err := gonats.Connect(b.url,
			gonats.Name("anyws "+node),
			gonats.RetryOnFailedConnect(true),
			gonats.MaxReconnects(-1),
			gonats.ReconnectWait(b.wait),
			gonats.ReconnectJitter(b.wait/5, b.wait/5),
			gonats.ReconnectBufSize(-1),
			gonats.DisconnectErrHandler(func(_ *gonats.Conn, err error) {
				if err != nil && !b.gate.Closed() {
					fail(fmt.Errorf("nats: connection lost, reconnecting: %w", err))
				}
			}),
		)
		if err != nil {
			return fmt.Errorf("nats: connect: %w", err)
		}
		b.nc = nc
	} else {
		b.url = "" // not ours to close
	}
	b.reconns0 = b.nc.Stats().Reconnects
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.msgs = make(chan *gonats.Msg, msgBuffer)
	b.subs = make(map[string]*gonats.Subscription)
	b.topics = relay.NewTopics()
	b.handlers = relay.NewHandlers(maxHandlers, handlerBacklog)
	b.syncReq = make(chan chan error)
	inbox, err := b.nc.Subscribe(b.nodeSubject(node), b.serveRequest)
	if err != nil {
		b.cancel()
		if b.url != "" {
			b.nc.Close()
		}
		return fmt.Errorf("nats: subscribe %s: %w", b.nodeSubject(node), err)
	}
	b.inbox = inbox
	b.out = relay.NewOutbox(b.queue, b.send)
	b.wg.Add(2)
	go b.readLoop()
	go b.controlLoop()
	b.started.Store(true)
	return nil
}

func (b *Broker) usable() bool { return b.started.Load() && !b.gate.Closed() }

// Subscribe implements pubsub.Broker. It returns at once; the broker
// subscribes on its own goroutine (see Sync).
func (b *Broker) Subscribe(topic string) error {
	if !b.usable() {
		return errClosed
	}
	b.topics.Set(topic, true)
	return nil
}

// Unsubscribe implements pubsub.Broker.
func (b *Broker) Unsubscribe(topic string) error {
	if !b.usable() {
		return errClosed
	}
	b.topics.Set(topic, false)
	return nil
}

// Publish implements pubsub.Broker: it queues m and returns. It fails at
// once, counting the message as lost, when m is larger than the server
// allows or the queue is full.
func (b *Broker) Publish(m pubsub.Message) error {
	if !b.usable() {
		return errClosed
	}
	m.Node = b.node
	if max := b.nc.MaxPayload(); max > 0 && int64(len(m.Data)) > max-256 {
		b.stats.Failed.Add(1)
		return fmt.Errorf("nats: message of %d bytes to %q exceeds the server's max_payload (%d bytes, less 256 for the envelope)", len(m.Data), m.Topic, max)
	}
	if !b.out.Push(m) {
		b.stats.Failed.Add(1)
		return fmt.Errorf("nats: outbound queue full (%d messages, Options.QueueSize): publish to %q lost", b.queue, m.Topic)
	}
	return nil
}

// send publishes a batch, on the outbox's goroutine. While the connection
// is down the batch is lost and reported (once per outage, counted always).
func (b *Broker) send(batch []pubsub.Message) {
	var lost uint64
	var first error
	if !b.nc.IsConnected() {
		lost, first = uint64(len(batch)), fmt.Errorf("nats: not connected (%s)", b.nc.Status())
	} else {
		for _, m := range batch {
			if err := b.nc.Publish(b.topicSubject(m.Topic), wire.AppendPublish(nil, m)); err != nil {
				lost++
				if first == nil {
					first = err
				}
			}
		}
	}
	b.stats.Published.Add(uint64(len(batch)) - lost)
	if lost > 0 {
		b.stats.Failed.Add(lost)
		b.fail(fmt.Errorf("nats: %d publishes lost: %w", lost, first))
	}
}

// Stats returns the broker's counters.
func (b *Broker) Stats() pubsub.Stats {
	s := b.stats.Stats()
	if b.started.Load() {
		s.Reconnects = b.nc.Stats().Reconnects - b.reconns0
	}
	return s
}

// Close implements pubsub.Broker: it sends what is queued, unsubscribes,
// stops the broker's goroutines, waits for deliveries and request
// handlers in flight, and closes the connection if the broker made it.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		if !b.started.Load() {
			b.gate.Close()
			return
		}
		b.out.Close()
		b.cancel()
		b.wg.Wait()
		_ = b.inbox.Unsubscribe()
		b.gate.Close()
		if b.url != "" {
			b.nc.Close()
		}
	})
	return nil
}
