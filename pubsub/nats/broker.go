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
	"github.com/anyws/anyws/pubsub/internal/catchup"
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
	// ReceiveBuffer bounds the messages from other nodes waiting to be
	// delivered to this node's Hub, all topics together. nats.go drops
	// what arrives while it is full; each drop is counted in
	// Stats().Failed and reported. Default 65536 (512 KiB of pointers).
	ReceiveBuffer int
	// ReconnectWait is the delay between reconnection attempts of a
	// connection the broker made from URL. Default 250 ms.
	ReconnectWait time.Duration
	// PresenceTTL is how long a node's presence entries outlive its last
	// heartbeat (pubsub.Presence, presence.go); nodes send one every
	// third of it. Default pubsub.DefaultPresenceTTL.
	PresenceTTL time.Duration
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
	rbuf   int
	hist   *historyState // history mode (history.go), or nil
	pres   presenceState // presence.go

	track       *catchup.Tracker // history mode: orders deliveries, catches up
	reconnected chan struct{}    // history mode: the connection came back

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
	outage   relay.Outage
	dropped  map[*gonats.Subscription]int // drops already counted, per subscription (controlLoop's)
	dropPoke chan struct{}                // a subscription was a slow consumer: count its drops
	reconns  uint64                       // the connection's reconnects as send last saw them (send's)
	backAt   time.Time                    // when send first saw the last reconnect (send's)
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
	defaultReceiveBuffer = 1 << 16
	// settleMin, plus twice the connection's ReconnectWait, is how long
	// after a reconnect publishes are reported as possibly lost.
	settleMin = time.Second
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
	b := &Broker{nc: opts.Conn, url: opts.URL, wait: opts.ReconnectWait, prefix: opts.Prefix, queue: opts.QueueSize, rbuf: opts.ReceiveBuffer}
	b.pres.ttl = opts.PresenceTTL
	if b.rbuf <= 0 {
		b.rbuf = defaultReceiveBuffer
	}
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
	b.dropPoke = make(chan struct{}, 1)
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
			gonats.ErrorHandler(b.asyncError(nil)),
		)
		if err != nil {
			return fmt.Errorf("nats: connect: %w", err)
		}
		b.nc = nc
	} else {
		b.url = "" // not ours to close
		b.nc.SetErrorHandler(b.asyncError(b.nc.ErrorHandler()))
	}
	if b.hist != nil {
		if err := b.startHistory(); err != nil {
			if b.url != "" {
				b.nc.Close()
			}
			return err
		}
	}
	b.reconns0 = b.nc.Stats().Reconnects
	b.reconns = b.reconns0
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.msgs = make(chan *gonats.Msg, b.rbuf)
	b.subs = make(map[string]*gonats.Subscription)
	b.dropped = make(map[*gonats.Subscription]int)
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
	if b.hist != nil {
		b.startTracker() // history.go
	}
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
	if b.track != nil {
		// History mode: where the topic stands now, not when the send
		// loop gets to the subscription: what is published meanwhile is
		// for this node's new subscriber too.
		top, known := b.top(topic, baselineTimeout)
		b.track.Subscribe(topic, top, known)
	}
	b.topics.Set(topic, true)
	return nil
}

// baselineTimeout bounds Subscribe's read of a topic's newest position in
// history mode: the Hub waits for it (during an outage the topic then
// starts at the first message that arrives).
const baselineTimeout = time.Second

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
// is down the batch is lost: every loss is counted, and reported once per
// outage (with the sum when publishing works again).
//
// Just after a reconnect the other nodes may not be back yet (each
// reconnects on its own schedule, and nats.go restores its
// subscriptions then): publishes sent within settle of it are sent, and
// also counted and reported as possibly lost.
func (b *Broker) send(batch []pubsub.Message) {
	if b.hist != nil {
		b.sendHistory(batch) // history.go
		return
	}
	var lost uint64
	var first error
	if r := b.nc.Stats().Reconnects; r != b.reconns {
		b.reconns, b.backAt = r, time.Now()
	}
	settle := settleMin + 2*b.nc.Opts.ReconnectWait
	if !b.nc.IsConnected() {
		lost, first = uint64(len(batch)), fmt.Errorf("nats: not connected (%s)", b.nc.Status())
	} else if !b.backAt.IsZero() && time.Since(b.backAt) < settle {
		for _, m := range batch {
			_ = b.nc.Publish(b.topicSubject(m.Topic), wire.AppendPublish(nil, m))
		}
		lost, first = uint64(len(batch)), fmt.Errorf("nats: sent within %s of a reconnect, before every node is known to have resubscribed", settle)
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
		b.outage.Lost(lost, fmt.Errorf("nats: %d publishes lost: %w", lost, first), b.fail)
		return
	}
	b.outage.OK("nats", b.fail)
}

// asyncError returns the connection's error handler: it has the drops of
// a slow consumer counted, and passes every error on to next (the
// handler of a connection the program gave us).
func (b *Broker) asyncError(next gonats.ErrHandler) gonats.ErrHandler {
	return func(nc *gonats.Conn, sub *gonats.Subscription, err error) {
		if errors.Is(err, gonats.ErrSlowConsumer) && !b.gate.Closed() {
			select {
			case b.dropPoke <- struct{}{}:
			default:
			}
		}
		if next != nil {
			next(nc, sub, err)
		}
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
		if b.track != nil {
			b.track.Close() // first: a read of the history it is making ends now
		}
		b.wg.Wait()
		b.stopPresence()
		_ = b.inbox.Unsubscribe()
		b.gate.Close()
		if b.url != "" {
			b.nc.Close()
		}
	})
	return nil
}
