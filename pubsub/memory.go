package pubsub

import (
	"context"
	"errors"
	"sync"
)

// Memory is an in-process bus: every Broker it hands out (one per Hub)
// relays to the others. It lets several Hubs in one process share topics,
// and it is the reference implementation the conformance suite checks the
// networked brokers against.
type Memory struct {
	mu    sync.RWMutex
	nodes map[*memoryBroker]struct{}
	hist  *memHistory // nil: Pub/Sub only (memory_history.go)
	pres  memPresence // memory_presence.go
	peers memPeers    // memory_peers.go
}

// NewMemory returns an empty bus.
func NewMemory() *Memory { return &Memory{nodes: make(map[*memoryBroker]struct{})} }

// Broker returns a new node on the bus, for one Hub.
// It also implements Syncer (a no-op: the bus is synchronous),
// Requester, Presence and PeerStore, and HistoryBroker on a bus made by NewMemoryHistory.
func (m *Memory) Broker() Broker {
	b := &memoryBroker{bus: m, topics: make(map[string]bool)}
	if m.hist != nil {
		return memoryHistoryBroker{b}
	}
	return b
}

type memoryBroker struct {
	bus     *Memory
	mu      sync.RWMutex
	node    string
	deliver func(Message)
	topics  map[string]bool
	closed  bool
	wg      sync.WaitGroup // deliveries and requests in flight

	handlers map[string]func(context.Context, []byte) []byte
	watching map[*watcher]struct{} // presence watchers (memory_presence.go)
	ctx      context.Context       // ends at Close: the handlers' context
	cancel   context.CancelFunc
}

var errClosed = errors.New("pubsub: broker closed")

var _ Presence = (*memoryBroker)(nil)

func (b *memoryBroker) Start(node string, deliver func(Message), _ func(error)) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errClosed
	}
	b.node, b.deliver = node, deliver
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.mu.Unlock()
	b.bus.mu.Lock()
	b.bus.nodes[b] = struct{}{}
	b.bus.mu.Unlock()
	return nil
}

func (b *memoryBroker) Subscribe(topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	b.topics[topic] = true
	return nil
}

func (b *memoryBroker) Unsubscribe(topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.topics, topic)
	return nil
}

func (b *memoryBroker) Publish(m Message) error {
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return errClosed
	}
	m.Node = b.node
	b.bus.mu.RLock()
	defer b.bus.mu.RUnlock()
	for n := range b.bus.nodes {
		if n != b {
			n.receive(m)
		}
	}
	return nil
}

// receive delivers synchronously, on the publisher's goroutine: the bus has
// no network to wait for, and it keeps each publisher's order.
func (b *memoryBroker) receive(m Message) {
	b.mu.RLock()
	if b.closed || !b.topics[m.Topic] || b.deliver == nil {
		b.mu.RUnlock()
		return
	}
	b.wg.Add(1)
	deliver := b.deliver
	b.mu.RUnlock()
	defer b.wg.Done()
	// Give each receiver its own copy, as a networked broker would.
	m.Data = append([]byte(nil), m.Data...)
	deliver(m)
}

func (b *memoryBroker) Close() error {
	b.bus.mu.Lock()
	delete(b.bus.nodes, b)
	b.bus.mu.Unlock()
	b.bus.pres.nodeGone(b)
	b.mu.Lock()
	b.closed = true
	if b.cancel != nil {
		b.cancel()
	}
	b.mu.Unlock()
	b.wg.Wait()
	return nil
}

// Sync returns at once, the bus being synchronous, or errClosed.
func (b *memoryBroker) Sync(context.Context) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	return nil
}

func (b *memoryBroker) Handle(service string, fn func(context.Context, []byte) []byte) (stop func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.handlers == nil {
		b.handlers = make(map[string]func(context.Context, []byte) []byte)
	}
	b.handlers[service] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.handlers, service)
	}
}

func (b *memoryBroker) Request(ctx context.Context, node, service string, payload []byte) ([]byte, error) {
	b.bus.mu.RLock()
	var target *memoryBroker
	for n := range b.bus.nodes {
		if n.node == node {
			target = n
			break
		}
	}
	b.bus.mu.RUnlock()
	if target == nil {
		return nil, ErrNoNode
	}
	target.mu.RLock()
	fn := target.handlers[service]
	if target.closed || fn == nil {
		target.mu.RUnlock()
		return nil, ErrNoNode
	}
	target.wg.Add(1)
	hctx := target.ctx
	target.mu.RUnlock()
	answer := make(chan []byte, 1)
	payload = append([]byte(nil), payload...)
	go func() {
		defer target.wg.Done()
		answer <- fn(hctx, payload)
	}()
	select {
	case a := <-answer:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
