package nats

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/catchup"
	"github.com/anyws/anyws/pubsub/internal/wire"
	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HistoryBroker is a Broker that keeps each topic's history in a
// JetStream stream and gives every publish a position. It implements
// pubsub.HistoryBroker (and Syncer, Requester, Presence), and
// pubsub.PeerStore (peers.go).
//
// Each topic has a stream of its own, so the stream's sequence is the
// topic's offset: contiguous per topic with no counting of ours, every
// publish one round trip (pipelined), and the three limits of
// pubsub.HistoryLimits are the stream's own (MaxMsgs, MaxBytes, MaxAge).
// The stream republishes what it stored (RePublish) to a subject that
// ends with the stream's epoch, a random word chosen when the stream was
// made: the nodes subscribe that subject with core NATS, so they receive
// only what was stored, in the stream's order, with its sequence and
// epoch, and no consumer is kept per node. A stream made again (deleted,
// or a server that lost its store) has a new epoch, so old positions are
// never taken for new ones.
//
// What it costs: a stream per topic. JetStream handles thousands; a
// program with very many short-lived topics should use the Pub/Sub mode
// (New) for them. Bytes counts what JetStream stores: the payload plus
// the envelope and the stream's per-message overhead (about 100 bytes).
type HistoryBroker struct {
	*Broker
}

var _ pubsub.HistoryBroker = (*HistoryBroker)(nil)

// HistoryOptions are the JetStream settings of NewHistory.
type HistoryOptions struct {
	// Memory keeps the streams in memory instead of on disk: faster, and
	// lost (a new epoch) when nats-server restarts.
	Memory bool
	// Replicas of each stream in a clustered JetStream. Default 1.
	Replicas int
}

// historyState is what a Broker in history mode adds.
type historyState struct {
	limits pubsub.HistoryLimits
	opts   HistoryOptions
	js     jetstream.JetStream

	mu     sync.Mutex
	epochs map[string]string // topic → its stream's epoch, as this node last saw it

	peers peerStore // the bucket of peer records (peers.go)
}

// NewHistory returns a broker in history mode (nil limits: the
// defaults; nil hopts: file storage, one replica). The server must run
// JetStream (nats-server -js). See New for opts.
func NewHistory(opts *Options, limits *pubsub.HistoryLimits, hopts *HistoryOptions) (*HistoryBroker, error) {
	b, err := New(opts)
	if err != nil {
		return nil, err
	}
	l := pubsub.DefaultHistoryLimits
	if limits != nil {
		if limits.Count != 0 {
			l.Count = limits.Count
		}
		if limits.Bytes != 0 {
			l.Bytes = limits.Bytes
		}
		if limits.Age != 0 {
			l.Age = limits.Age
		}
	}
	h := &historyState{limits: l, epochs: make(map[string]string)}
	h.peers.sem = make(chan struct{}, 1)
	if hopts != nil {
		h.opts = *hopts
	}
	if h.opts.Replicas <= 0 {
		h.opts.Replicas = 1
	}
	b.hist = h
	return &HistoryBroker{b}, nil
}

// startHistory makes the JetStream context, once connected (Start).
func (b *Broker) startHistory() error {
	js, err := jetstream.New(b.nc, jetstream.WithPublishAsyncTimeout(opTimeout))
	if err != nil {
		return fmt.Errorf("nats: jetstream: %w", err)
	}
	b.hist.js = js
	return nil
}

// opTimeout bounds one JetStream call or the acks of one batch.
const opTimeout = 10 * time.Second

// streamName is the topic's stream: stream names may not hold '.'.
func (b *Broker) streamName(topic string) string {
	return strings.ReplaceAll(b.prefix, ".", "_") + "_" + token(topic)
}

// storeSubject is where the topic's publishes go; the stream stores them.
func (b *Broker) storeSubject(topic string) string { return b.prefix + ".hs." + token(topic) }

// liveSubject is where the stream republishes what it stored; the last
// token is the epoch.
func (b *Broker) liveSubject(topic, epoch string) string {
	return b.prefix + ".hd." + token(topic) + "." + epoch
}

// subSubject is what a node subscribes for a topic.
func (b *Broker) subSubject(topic string) string {
	if b.hist != nil {
		return b.liveSubject(topic, "*")
	}
	return b.topicSubject(topic)
}

func (h *historyState) config(b *Broker, topic, epoch string) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:      b.streamName(topic),
		Subjects:  []string{b.storeSubject(topic)},
		Retention: jetstream.LimitsPolicy,
		Discard:   jetstream.DiscardOld,
		MaxMsgs:   int64(h.limits.Count),
		MaxBytes:  int64(h.limits.Bytes),
		MaxAge:    max(h.limits.Age, 0),
		Storage:   jetstream.FileStorage,
		Replicas:  h.opts.Replicas,
		RePublish: &jetstream.RePublish{Source: b.storeSubject(topic), Destination: b.liveSubject(topic, epoch)},
	}
	if h.limits.Count < 0 {
		cfg.MaxMsgs = -1
	}
	if h.limits.Bytes < 0 {
		cfg.MaxBytes = -1
	}
	if h.opts.Memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	return cfg
}

// epochOf reads the epoch from a stream's configuration.
func epochOf(info *jetstream.StreamInfo) string {
	if info == nil || info.Config.RePublish == nil {
		return ""
	}
	d := info.Config.RePublish.Destination
	return d[strings.LastIndexByte(d, '.')+1:]
}

// epoch returns the topic's stream epoch, making the stream if create
// and it does not exist; "" (and no error) when it does not exist and
// not create.
func (h *historyState) epoch(ctx context.Context, b *Broker, topic string, create bool) (string, error) {
	h.mu.Lock()
	e := h.epochs[topic]
	h.mu.Unlock()
	if e != "" {
		return e, nil
	}
	made := false // by this node: the server answers once it listens
	s, err := h.js.Stream(ctx, b.streamName(topic))
	if errors.Is(err, jetstream.ErrStreamNotFound) && create {
		s, err = h.js.CreateStream(ctx, h.config(b, topic, rand.Text()[:13]))
		made = err == nil
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) || isSubjectOverlap(err) {
			// Another node made it first. When two creations race, the
			// server may refuse the later one because its subjects
			// overlap those of the stream just made, instead of because
			// the name is taken (nats-server 2.9.10, err_code 10065: seen
			// about once in a few hundred runs of OneOrderEverywhere on a
			// loaded machine, and that node's first publish was then
			// lost, counted and reported): read the stream by its name
			// either way. An overlap with a stream of
			// another name is not ours: its error is returned as is.
			s2, err2 := h.js.Stream(ctx, b.streamName(topic))
			if !isSubjectOverlap(err) || !errors.Is(err2, jetstream.ErrStreamNotFound) {
				s, err = s2, err2
			}
		}
	}
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("nats: stream of topic %q: %w", topic, err)
	}
	info := s.CachedInfo()
	e = epochOf(info)
	if e == "" {
		return "", fmt.Errorf("nats: stream %s was not made by anyws (no RePublish)", b.streamName(topic))
	}
	if !made && info.State.LastSeq == 0 {
		// Nothing stored yet: the stream may be another node's, still
		// being made. nats-server (2.9.10) shows a stream (its info, and
		// "name already in use" to a concurrent creation) before it
		// listens on its subject, and a publish sent then finds no
		// responder: lost (counted, reported; seen as 300 publishes
		// lost in a run of OneOrderEverywhere). Wait until it answers.
		if err := h.ready(ctx, b, topic); err != nil {
			return "", fmt.Errorf("nats: stream of topic %q: %w", topic, err)
		}
	}
	h.mu.Lock()
	h.epochs[topic] = e
	h.mu.Unlock()
	return e, nil
}

// ready waits until the topic's stream listens on its subject: a probe
// that expects another stream's name is refused by the stream (nothing
// stored) once it listens, and has no responder before.
func (h *historyState) ready(ctx context.Context, b *Broker, topic string) error {
	for {
		_, err := h.js.PublishMsg(ctx, &gonats.Msg{Subject: b.storeSubject(topic)},
			jetstream.WithExpectStream(b.streamName(topic)+"-probe"), jetstream.WithRetryAttempts(0))
		if !errors.Is(err, jetstream.ErrNoStreamResponse) && !errors.Is(err, gonats.ErrNoResponders) {
			var apiErr *jetstream.APIError
			if err == nil || errors.As(err, &apiErr) {
				return nil // the stream answered
			}
			return err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// jsErrSubjectOverlap is JetStream's "subjects overlap with an existing
// stream" (nats.go has no name for it).
const jsErrSubjectOverlap jetstream.ErrorCode = 10065

func isSubjectOverlap(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrSubjectOverlap
}

// forget drops what this node knows of streams: after a reconnect the
// server may have lost them.
func (h *historyState) forget(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if topic == "" {
		clear(h.epochs)
		return
	}
	delete(h.epochs, topic)
}

// pending is one publish in flight.
type pending struct {
	m     pubsub.Message
	epoch string
	ack   jetstream.PubAckFuture
	err   error
}

// publishAsync sends m to its topic's stream, making the stream first if
// this node does not know it.
func (h *historyState) publishAsync(ctx context.Context, b *Broker, m pubsub.Message) pending {
	p := pending{m: m}
	p.epoch, p.err = h.epoch(ctx, b, m.Topic, true)
	if p.err != nil {
		return p
	}
	// No retry: a retried publish could be stored after a later one.
	p.ack, p.err = h.js.PublishMsgAsync(&gonats.Msg{Subject: b.storeSubject(m.Topic), Data: wire.AppendPublish(nil, m)}, jetstream.WithRetryAttempts(0))
	return p
}

// wait returns p's position once stored.
func (h *historyState) wait(ctx context.Context, p pending) (pubsub.Position, error) {
	if p.err == nil {
		select {
		case ack := <-p.ack.Ok():
			return pubsub.Position{Epoch: p.epoch, Offset: ack.Sequence}, nil
		case p.err = <-p.ack.Err():
		case <-ctx.Done():
			return pubsub.Position{}, fmt.Errorf("nats: append to %q (may be stored or not): %w", p.m.Topic, ctx.Err())
		}
	}
	if errors.Is(p.err, jetstream.ErrNoStreamResponse) || errors.Is(p.err, gonats.ErrNoResponders) {
		h.forget(p.m.Topic) // the stream is gone: make it again next time
	}
	if errors.Is(p.err, jetstream.ErrAsyncPublishTimeout) {
		return pubsub.Position{}, fmt.Errorf("nats: append to %q (no answer: may be stored or not): %w", p.m.Topic, p.err)
	}
	return pubsub.Position{}, fmt.Errorf("nats: append to %q (not stored): %w", p.m.Topic, p.err)
}

// sendHistory stores a batch, on the outbox's goroutine: every publish is
// sent, then every answer awaited. A publish that is not stored is
// counted and reported; one that is stored reaches every subscribed node
// (a node that missed it while disconnected catches up from the stream),
// so history mode has no settling window.
func (b *Broker) sendHistory(batch []pubsub.Message) {
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	ps := make([]pending, len(batch))
	for i, m := range batch {
		ps[i] = b.hist.publishAsync(ctx, b, m)
	}
	var lost uint64
	var first error
	for _, p := range ps {
		if _, err := b.hist.wait(ctx, p); err != nil {
			lost++
			if first == nil {
				first = err
			}
		}
	}
	b.stats.Published.Add(uint64(len(batch)) - lost)
	if lost > 0 {
		b.stats.Failed.Add(lost)
		b.outage.Lost(lost, fmt.Errorf("nats: %d publishes not stored: %w", lost, first), b.fail)
		return
	}
	b.outage.OK("nats", b.fail)
}

// Append implements pubsub.HistoryBroker: it waits until every publish
// queued before it was sent, then stores m.
func (b *HistoryBroker) Append(ctx context.Context, m pubsub.Message) (pubsub.Position, error) {
	if !b.usable() {
		return pubsub.Position{}, errClosed
	}
	if err := b.out.Flush(ctx); err != nil {
		return pubsub.Position{}, err
	}
	m.Node = b.node
	pos, err := b.hist.wait(ctx, b.hist.publishAsync(ctx, b.Broker, m))
	if err != nil {
		b.stats.Failed.Add(1)
		return pubsub.Position{}, err
	}
	b.stats.Published.Add(1)
	return pos, nil
}

// History implements pubsub.HistoryBroker: it reads the stream's state,
// then the messages after since with a short-lived consumer.
func (b *HistoryBroker) History(ctx context.Context, topic string, since pubsub.Position, limit int) ([]pubsub.Message, error) {
	if !b.usable() {
		return nil, errClosed
	}
	return b.history(ctx, topic, since, limit)
}

func (b *Broker) history(ctx context.Context, topic string, since pubsub.Position, limit int) ([]pubsub.Message, error) {
	s, err := b.hist.js.Stream(ctx, b.streamName(topic))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if since.IsZero() {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: topic %q has no history (none published, or the server lost it)", pubsub.ErrNotCovered, topic)
	}
	if err != nil {
		return nil, fmt.Errorf("nats: history of %q: %w", topic, err)
	}
	info := s.CachedInfo()
	epoch := epochOf(info)
	first, last := info.State.FirstSeq, info.State.LastSeq
	if info.State.Msgs == 0 {
		first = last + 1
	}
	from := first
	switch {
	case since.IsZero():
		if limit > 0 && last+1-first > uint64(limit) {
			from = last + 1 - uint64(limit)
		}
	case since.Epoch != epoch:
		return nil, fmt.Errorf("%w: topic %q is at epoch %s, not %s (its history was lost)", pubsub.ErrNotCovered, topic, epoch, since.Epoch)
	case since.Offset > last:
		return nil, fmt.Errorf("%w: topic %q ends at offset %d, before %d", pubsub.ErrNotCovered, topic, last, since.Offset)
	case since.Offset+1 < first:
		return nil, fmt.Errorf("%w: topic %q keeps offsets %d to %d; those after %d up to %d were trimmed", pubsub.ErrNotCovered, topic, first, last, since.Offset, first-1)
	default:
		from = since.Offset + 1
	}
	to := last
	if limit > 0 && to+1-from > uint64(limit) {
		to = from + uint64(limit) - 1
	}
	if from > to {
		return nil, nil
	}
	msgs, err := b.readRange(ctx, s, from, to, epoch)
	if err != nil {
		return nil, fmt.Errorf("nats: history of %q: %w", topic, err)
	}
	if len(msgs) == 0 || msgs[0].Position.Offset != from {
		if since.IsZero() {
			return msgs, nil // trimmed while read: the newest are what is left
		}
		return nil, fmt.Errorf("%w: topic %q: offsets after %d were trimmed while it was read", pubsub.ErrNotCovered, topic, since.Offset)
	}
	return msgs, nil
}

// getMax is the longest range readRange reads message by message: a
// consumer costs a creation and a deletion on the server, four round
// trips in all, where most reads (a peer moving to another node, the
// newest message of a topic) want a few messages.
const getMax = 16

// readRange reads the stored messages from..to (fewer if trimmed
// meanwhile): a short range message by message, a longer one with an
// ephemeral consumer that acknowledges nothing.
func (b *Broker) readRange(ctx context.Context, s jetstream.Stream, from, to uint64, epoch string) ([]pubsub.Message, error) {
	if to+1-from <= getMax {
		return readEach(ctx, s, from, to, epoch)
	}
	c, err := s.CreateConsumer(ctx, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		_ = s.DeleteConsumer(dctx, c.CachedInfo().Name)
	}()
	out := make([]pubsub.Message, 0, to+1-from)
	for uint64(len(out)) < to+1-from {
		want := int(min(to+1-from-uint64(len(out)), 1000))
		batch, err := c.FetchNoWait(want)
		if err != nil {
			return nil, err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return nil, err
			}
			seq := md.Sequence.Stream
			if seq > to {
				continue
			}
			e, err := wire.Decode(msg.Data())
			if err != nil || e.Kind != wire.KindPublish {
				return nil, fmt.Errorf("stream message %d: %w", seq, wire.ErrMalformed)
			}
			e.Msg.Position = pubsub.Position{Epoch: epoch, Offset: seq}
			out = append(out, e.Msg)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, err
		}
		if n == 0 || (len(out) > 0 && out[len(out)-1].Position.Offset >= to) {
			break
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// positionOf reads a republished message's position: the epoch is the
// subject's last token, the offset the stream sequence.
func positionOf(msg *gonats.Msg) (pubsub.Position, bool) {
	subj := msg.Subject
	epoch := subj[strings.LastIndexByte(subj, '.')+1:]
	seq, err := strconv.ParseUint(msg.Header.Get(jetstream.SequenceHeader), 10, 64)
	if err != nil || epoch == "" || seq == 0 {
		return pubsub.Position{}, false
	}
	return pubsub.Position{Epoch: epoch, Offset: seq}, true
}

// startTracker starts what orders deliveries in history mode
// (pubsub/internal/catchup) and has it catch up after every reconnect.
func (b *Broker) startTracker() {
	b.track = catchup.New("nats", func(ctx context.Context, topic string, since pubsub.Position) ([]pubsub.Message, error) {
		return b.history(ctx, topic, since, 0)
	}, b.deliverCounted, b.fail)
	b.reconnected = make(chan struct{}, 1)
	prev := b.nc.Opts.ReconnectedCB
	b.nc.SetReconnectHandler(func(nc *gonats.Conn) {
		b.hist.forgetBucket(nil) // peers.go: the server may have lost it
		select {
		case b.reconnected <- struct{}{}:
		default:
		}
		if prev != nil {
			prev(nc)
		}
	})
}

// caughtUp runs on the control loop after a reconnect: once the server
// has the restored subscriptions (a flush), every topic is read from its
// last delivered position. The streams may have been made again (a
// server that lost its store): their epochs are read again too.
func (b *Broker) caughtUp() {
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	if err := b.nc.FlushWithContext(ctx); err != nil {
		if b.ctx.Err() == nil {
			// Disconnected again: the next reconnect tries again.
			b.fail(fmt.Errorf("nats: catch-up after a reconnect: %w", err))
		}
		return
	}
	b.hist.forget("")
	b.track.Behind()
}

// top returns the newest position of topic's history, for a new
// subscription (catchup.Tracker.Subscribe).
func (b *Broker) top(topic string, timeout time.Duration) (pubsub.Position, bool) {
	if !b.nc.IsConnected() {
		return pubsub.Position{}, false // an outage: start at the first message
	}
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	s, err := b.hist.js.Stream(ctx, b.streamName(topic))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return pubsub.Position{}, true
	}
	if err != nil {
		return pubsub.Position{}, false
	}
	info := s.CachedInfo()
	return pubsub.Position{Epoch: epochOf(info), Offset: info.State.LastSeq}, true
}

// readEach reads from..to one message at a time, skipping those trimmed
// meanwhile (as a consumer would: the caller sees where the range
// starts).
func readEach(ctx context.Context, s jetstream.Stream, from, to uint64, epoch string) ([]pubsub.Message, error) {
	out := make([]pubsub.Message, 0, to+1-from)
	for seq := from; seq <= to; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // trimmed (or deleted) since the stream's state was read
		}
		if err != nil {
			return nil, err
		}
		e, err := wire.Decode(raw.Data)
		if err != nil || e.Kind != wire.KindPublish {
			return nil, fmt.Errorf("stream message %d: %w", seq, wire.ErrMalformed)
		}
		e.Msg.Position = pubsub.Position{Epoch: epoch, Offset: seq}
		out = append(out, e.Msg)
	}
	return out, nil
}
