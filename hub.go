package anyws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/google/uuid"
)

// Options configure a Hub. The zero value (or nil) gives the defaults.
type Options struct {
	// Broker relays publishes to the Hubs of other nodes. nil: this Hub is
	// a single node.
	Broker pubsub.Broker
	// NodeID names this node on the broker. Default: a random UUID.
	NodeID string
	// QueueBytes bounds each peer's outbound queue (messages queued or
	// being written): their bytes plus 64 per message for what holding
	// one costs. Default 4 MiB: a burst of 20,000 short chat messages
	// fits, a client that stopped reading does not fill the server's
	// memory. A single message larger than this is still accepted into
	// an empty queue.
	QueueBytes int
	// QueueMessages also bounds each queue by count. Default 0: bytes only.
	QueueMessages int
	// ResumeWindow is how long a peer whose connection dropped waits for
	// its client to resume it (same peer, same subscriptions, every
	// missed message once). Default 2 minutes, as Socket.IO's
	// maxDisconnectionDuration. Negative turns recovery off: a dropped
	// connection ends its peer at once, as in crossws. Only clients that
	// can resume wait (SSE streams, which browsers resume by themselves,
	// and anyws's own clients over WebSocket); a plain WebSocket client's
	// peer ends with its connection. A client that leaves without saying
	// so (an EventSource closed, a tab gone) is kept for the window.
	ResumeWindow time.Duration
	// ReplayBytes bounds, per peer, what is kept of the messages already
	// written to its connection, counted as QueueBytes counts, for a
	// client that resumes after a drop (the connection may have lost what
	// was written last). Default 1 MiB; kept messages are shared with
	// other subscribers, so it costs a pointer per message. A client that
	// missed more than was kept is not resumed: its peer closes with
	// StatusResumeFailed and it gets a new one.
	ReplayBytes int
	// ResumeMaxPeers bounds the peers of this Hub that wait to be resumed
	// at once: past it, a peer whose connection drops closes at once, as
	// with recovery off. Default 10,000: what a node's memory can hold
	// even when every one of them has a full queue is QueueBytes times
	// this, so lower it on small machines with large queues.
	ResumeMaxPeers int
	// Overflow is what happens when a queue is full. Default OverflowClose.
	Overflow OverflowPolicy
	// Logger receives connections at Debug, shutdown at Info, peers'
	// errors at Warn and panics and broker failures at Error, with the
	// attribute keys of logging.go (LogPeer, ...). nil: anyws logs nothing.
	Logger *slog.Logger
	// Metrics receives counters, gauges and histograms (metrics.go). nil:
	// none, at the cost of a nil check.
	Metrics Metrics
	// Presence, if not nil, keeps who subscribes to each topic across
	// nodes (presence.go, Hub.Presence). nil: off, at no cost.
	Presence *PresenceOptions
}

// Hub is the registry of peers and the pub/sub router shared by every
// transport: a WebSocket peer and an SSE peer of one Hub see each other's
// publishes. Create it with New, mount adapters on it, and stop it with
// Shutdown.
type Hub struct {
	hooks  Hooks
	opts   Options
	broker pubsub.Broker // set by New, never changed
	index  pubsub.Index[*Peer]
	pres   *presence // nil: presence off (presence.go)

	brokerOnce sync.Once

	// closed is set under mu (register checks it there, so no session is
	// added once Shutdown waits for them) and read without it on the hot
	// paths (Publish, Upgrade).
	closed atomic.Bool
	// waiting counts the peers waiting to be resumed (ResumeMaxPeers).
	waiting atomic.Int64
	// route names this node in resume claims ("" when peers cannot move
	// between nodes), and lastFanned holds, per topic, the position of
	// the last message fanned out here (resume_remote.go).
	route      string
	lastFanned sync.Map
	moved      sync.Map // secret → the node a peer moved to, for a while
	incoming   sync.Map // secret → chan closed once a move here has ended
	parked     sync.Map // secret → *parkedMove: a hand-over here that failed halfway
	lost       sync.Map // secret → *lostMove: a hand-over request of this node that got no answer
	topicStart sync.Map // topic → its newest position when this node subscribed
	// store keeps peers' records in the broker, so a peer whose node
	// died can be rebuilt elsewhere (peer_records.go, resume_recover.go); nil when the
	// broker cannot, or peers cannot move.
	store *peerRecords
	qlim  [2]queueLimits // set by New, never changed
	// keepAlives schedules the links' keep-alives (keepalive.go).
	keepAlives keepAlives
	// lingers are the writers waiting for more to write (linger.go).
	lingers lingers
	// pool runs the writers of pooled connections (writerpool.go).
	pool writerPool

	mu       sync.Mutex
	nsOrder  []string            // namespaces in creation order
	ns       map[string]*nsPeers // peers of a namespace in connect order
	byID     map[string]*Peer
	bySecret map[string]*Peer
	sessions sync.WaitGroup // one per connected peer, done after its Close hook
}

// New returns a Hub whose hooks are the defaults of every route.
func New(hooks Hooks, opts *Options) *Hub {
	h := &Hub{hooks: hooks, ns: make(map[string]*nsPeers), byID: make(map[string]*Peer), bySecret: make(map[string]*Peer)}
	h.pool.cond.L = &h.pool.mu
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.QueueMessages < 0 {
		h.opts.QueueMessages = 0
	}
	if h.opts.QueueBytes <= 0 {
		h.opts.QueueBytes = 4 << 20
	}
	if h.opts.ReplayBytes <= 0 {
		h.opts.ReplayBytes = 1 << 20
	}
	if h.opts.ResumeWindow == 0 {
		h.opts.ResumeWindow = DefaultResumeWindow
	}
	if h.opts.ResumeMaxPeers <= 0 {
		h.opts.ResumeMaxPeers = 10000
	}
	// Queues' bounds: qlim[0] keeps messages for replay when recovery is
	// on, qlim[1] (peers whose client cannot resume) keeps none.
	for i := range h.qlim {
		h.qlim[i] = queueLimits{maxCount: h.opts.QueueMessages, maxBytes: h.opts.QueueBytes}
	}
	if h.resumeWindow() > 0 {
		h.qlim[0].maxReplay = h.opts.ReplayBytes
	}
	if h.opts.NodeID == "" {
		h.opts.NodeID = uuid.NewString()
	}
	if b := h.opts.Broker; b != nil {
		err := b.Start(h.opts.NodeID, h.deliverRemote, func(err error) {
			h.reportError(nil, fmt.Errorf("anyws: broker: %w", err))
		})
		if err != nil {
			h.reportError(nil, fmt.Errorf("anyws: start broker: %w", err))
		} else {
			h.broker = b
			h.startMoving()
		}
	}
	h.startPresence()
	return h
}

// NodeID is this node's id on the broker.
func (h *Hub) NodeID() string { return h.opts.NodeID }

// Broker is the started broker the Hub relays through, or nil for a
// single node (or one whose broker failed to start). Adapters use it to
// reach other nodes: the SSE adapter forwards an uplink POST to the node
// holding its stream when the broker is a pubsub.Requester.
func (h *Hub) Broker() pubsub.Broker { return h.broker }

// PublishOption narrows a Hub.Publish.
type PublishOption func(*publishOptions)

type publishOptions struct{ ns string }

// InNamespace restricts a Hub.Publish to the peers of one namespace.
func InNamespace(ns string) PublishOption {
	return func(o *publishOptions) { o.ns = ns }
}

// publishNamespace is the namespace opts restrict a publish to ("":
// all). Without options it allocates nothing: the options struct a
// PublishOption writes to escapes, which cost every publish an
// allocation.
func publishNamespace(opts []PublishOption) string {
	if len(opts) == 0 {
		return ""
	}
	var o publishOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o.ns
}

// Publish sends data (converted as by Peer.Send) to every subscriber of
// topic, in every namespace unless InNamespace says otherwise, here and on
// the other nodes of the broker. It never blocks on a peer; it returns an
// error only if data cannot be encoded or the Hub is closed, or, with a
// broker that keeps history (pubsub.HistoryBroker), if the broker
// refused the message at once (then no peer receives it; later losses
// go to the Error hook). With such a broker every node's peers receive a
// topic's messages in one order, this node's own publishes included.
func (h *Hub) Publish(topic string, data any, opts ...PublishOption) error {
	ns := publishNamespace(opts)
	m, err := messageOf(data)
	if err != nil {
		return err
	}
	return h.publish(ns, topic, m, nil)
}

// publish fans m out to local subscribers (but exclude) and relays it. The
// message is wrapped in one Frame shared by every subscriber.
func (h *Hub) publish(ns, topic string, m Message, exclude *Peer) error {
	if h.closed.Load() {
		return ErrHubClosed
	}
	if hb := h.historyBroker(); hb != nil {
		return h.publishOrdered(hb, ns, topic, m, exclude) // hub_history.go
	}
	h.fanOut(ns, topic, m, exclude)
	if h.broker != nil {
		err := h.broker.Publish(h.relayed(ns, topic, m, nil))
		if err != nil {
			h.reportError(nil, fmt.Errorf("anyws: relay publish to %q: %w", topic, err))
		}
	}
	return nil
}

func (h *Hub) fanOut(ns, topic string, m Message, exclude *Peer) {
	f := NewPayload(m)
	n := 0
	h.index.Each(ns, topic, func(p *Peer) {
		if p != exclude {
			_ = p.enqueue(f)
			n++
		}
	})
	h.published(n)
}

func (h *Hub) deliverRemote(m pubsub.Message) { h.fanOutRelayed(m) }

func (h *Hub) subscribe(p *Peer, topic string) {
	defer lockTopic(topic)() // index change and broker call in one order (topic_locks.go)
	added, first := h.index.Subscribe(p.ns, topic, p)
	if added && h.pres != nil {
		h.presenceJoin(p, topic)
	}
	if added && first && h.broker != nil {
		h.markTopicStart(topic)
		if err := h.broker.Subscribe(topic); err != nil {
			h.reportError(nil, fmt.Errorf("anyws: broker subscribe %q: %w", topic, err))
		}
	}
}

func (h *Hub) unsubscribe(p *Peer, topic string) {
	defer lockTopic(topic)()
	removed, last := h.index.Unsubscribe(p.ns, topic, p)
	if removed && h.pres != nil {
		h.presenceLeave(p, topic)
	}
	if removed && last && h.broker != nil {
		if err := h.broker.Unsubscribe(topic); err != nil {
			h.reportError(nil, fmt.Errorf("anyws: broker unsubscribe %q: %w", topic, err))
		}
	}
}

// Peers returns every open peer, namespace by namespace in the order the
// namespaces appeared, each in connect order.
func (h *Hub) Peers() []*Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Peer, 0, len(h.byID))
	for _, ns := range h.nsOrder {
		for p := h.ns[ns].first; p != nil; p = p.next {
			out = append(out, p)
		}
	}
	return out
}

// Peer returns the open peer with the given public id, or nil.
func (h *Hub) Peer(id string) *Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byID[id]
}

func (h *Hub) namespacePeers(ns string) []*Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.ns[ns]
	if l == nil {
		return nil
	}
	out := make([]*Peer, 0, l.n)
	for p := l.first; p != nil; p = p.next {
		out = append(out, p)
	}
	return out
}

func (h *Hub) register(p *Peer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return ErrHubClosed
	}
	l := h.ns[p.ns]
	if l == nil {
		l = new(nsPeers)
		h.ns[p.ns] = l
		h.nsOrder = append(h.nsOrder, p.ns)
	}
	l.push(p)
	h.byID[p.id] = p
	h.bySecret[p.secret] = p
	h.sessions.Add(1)
	return nil
}

func (h *Hub) unregister(p *Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !p.listed {
		return
	}
	l := h.ns[p.ns]
	l.remove(p)
	delete(h.byID, p.id)
	delete(h.bySecret, p.secret)
	if l.n == 0 {
		delete(h.ns, p.ns)
		for i, ns := range h.nsOrder {
			if ns == p.ns {
				h.nsOrder = append(h.nsOrder[:i], h.nsOrder[i+1:]...)
				break
			}
		}
	}
}

// nsPeers are the peers of a namespace in connect order, linked through
// the peers themselves (Peer.prev, next): a list element per peer cost
// 48 bytes. Under Hub.mu.
type nsPeers struct {
	first, last *Peer
	n           int
}

func (l *nsPeers) push(p *Peer) {
	p.prev, p.next, p.listed = l.last, nil, true
	if l.last != nil {
		l.last.next = p
	} else {
		l.first = p
	}
	l.last = p
	l.n++
}

func (l *nsPeers) remove(p *Peer) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		l.first = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		l.last = p.prev
	}
	p.prev, p.next, p.listed = nil, nil, false
	l.n--
}

// Shutdown stops accepting peers, closes every peer with StatusGoingAway
// (flushing what is queued; Close hooks fire), waits until every peer's
// goroutines have ended, and closes the broker. If ctx ends first, the
// remaining peers are closed at once (CloseNow) and Shutdown returns
// ctx.Err() right away; they finish in the background (a hook that
// ignores Peer.Context can hold its peer up to its own return).
func (h *Hub) Shutdown(ctx context.Context) error {
	peers := h.stop()
	for _, p := range peers {
		p.requestClose(closeRequest{code: StatusGoingAway, reason: "server shutting down"})
	}
	done := make(chan struct{})
	go func() {
		h.sessions.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		// Return now, as promised: every peer is aborted (its context
		// cancelled, its connection closed) and finishes on its own, unless
		// a hook ignores its context and never returns.
		err = ctx.Err()
		for _, p := range h.Peers() {
			_ = p.CloseNow()
		}
	}
	return errors.Join(err, h.closeBroker())
}

// Close closes every peer at once, without close handshakes, and waits
// until their goroutines have ended. Close hooks still fire.
func (h *Hub) Close() error {
	for _, p := range h.stop() {
		_ = p.CloseNow()
	}
	h.sessions.Wait()
	return h.closeBroker()
}

func (h *Hub) stop() []*Peer {
	h.mu.Lock()
	h.closed.Store(true)
	h.mu.Unlock()
	h.stopping()
	return h.Peers()
}

func (h *Hub) closeBroker() error {
	var err error
	h.brokerOnce.Do(func() {
		defer h.stopped()
		h.pool.close()
		h.stopPresence()
		if h.store != nil {
			h.store.close()
		}
		if h.broker != nil {
			err = h.broker.Close()
		}
	})
	return err
}

func (h *Hub) reportError(p *Peer, err error) {
	if p != nil {
		p.reportError(err)
		return
	}
	h.hubError(err)
	if h.hooks.Error != nil {
		h.hooks.Error(nil, err)
	}
}
