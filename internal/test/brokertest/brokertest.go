// Package brokertest wraps a broker that can rebuild peers (history,
// requests, peer records) to make it fail, stall or tell on purpose:
// the faults the recovery tests need, in one place.
package brokertest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// StoreBroker is what a Hub needs of a broker to move and rebuild peers.
type StoreBroker interface {
	pubsub.HistoryBroker
	pubsub.Requester
	pubsub.PeerStore
}

// HistoryFails fails history reads while Failing is set: a node that
// lost its broker halfway through taking a peer over.
type HistoryFails struct {
	StoreBroker
	Failing *atomic.Bool
}

func (f HistoryFails) History(ctx context.Context, topic string, since pubsub.Position, limit int) ([]pubsub.Message, error) {
	if f.Failing.Load() {
		return nil, errors.New("brokertest: the broker is gone")
	}
	return f.StoreBroker.History(ctx, topic, since, limit)
}

// RecordGate holds peer-record saves, loads and deletes until Open is
// closed (or their context ends): a node that dies before it saved a
// record, or a broker that stopped answering.
type RecordGate struct {
	StoreBroker
	Open chan struct{}
}

func (g RecordGate) wait(ctx context.Context) error {
	select {
	case <-g.Open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g RecordGate) SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	return g.StoreBroker.SavePeer(ctx, key, rec, ttl)
}

func (g RecordGate) LoadPeer(ctx context.Context, key string) ([]byte, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.StoreBroker.LoadPeer(ctx, key)
}

func (g RecordGate) DeletePeer(ctx context.Context, key string) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	return g.StoreBroker.DeletePeer(ctx, key)
}

// RecordWatch passes on each record saved through it (as Saved).
type RecordWatch struct {
	StoreBroker
	Saved chan string
}

func (w RecordWatch) SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error {
	err := w.StoreBroker.SavePeer(ctx, key, rec, ttl)
	w.Saved <- string(rec)
	return err
}

// AnswerLost delivers requests but, while Losing is set, loses the
// answer: the asking node waits in vain (context.DeadlineExceeded), as
// when the answer came after it gave up, or the broker's connection
// dropped on the way back. Each lost answer is counted in Lost.
type AnswerLost struct {
	StoreBroker
	Losing *atomic.Bool
	Lost   *atomic.Int64
}

func (a AnswerLost) Request(ctx context.Context, node, service string, payload []byte) ([]byte, error) {
	ans, err := a.StoreBroker.Request(ctx, node, service, payload)
	if err == nil && a.Losing.Load() {
		a.Lost.Add(1)
		return nil, context.DeadlineExceeded
	}
	return ans, err
}

// AfterAnswer calls After with the node asked, after each request's
// answer came back and before the Hub reads it: a test makes something
// happen between two hops of a claim's walk.
type AfterAnswer struct {
	StoreBroker
	After func(node string)
}

func (a AfterAnswer) Request(ctx context.Context, node, service string, payload []byte) ([]byte, error) {
	ans, err := a.StoreBroker.Request(ctx, node, service, payload)
	a.After(node)
	return ans, err
}
