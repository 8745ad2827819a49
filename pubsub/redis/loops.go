package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anyws/anyws/pubsub/internal/wire"
	goredis "github.com/redis/go-redis/v9"
)

// readLoop owns the subscription connection's reads. go-redis redials a
// broken connection on the next read and re-subscribes every channel, so
// the loop only backs off while Redis is unreachable and says when the
// connection was lost and came back.
func (b *Broker) readLoop() {
	defer b.wg.Done()
	lost := false
	delay := 50 * time.Millisecond
	for b.ctx.Err() == nil {
		msg, err := b.ps.ReceiveTimeout(b.ctx, readTimeout)
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet: check that the connection is alive.
				ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
				_ = b.ps.Ping(ctx)
				cancel()
				continue
			}
			if !lost {
				lost = true
				b.health.lost()
				b.fail(fmt.Errorf("redis: subscription connection lost, reconnecting: %w", err))
			}
			select {
			case <-time.After(delay):
			case <-b.ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		if lost {
			lost = false
			b.health.back()
			delay = 50 * time.Millisecond
			b.stats.Reconnects.Add(1)
			if b.track != nil {
				b.catchUpAfterReconnect() // history.go
			}
			b.pokeSyncs()
		}
		b.receive(msg)
	}
}

func (b *Broker) receive(msg any) {
	switch msg := msg.(type) {
	case *goredis.Message:
		payload, pos := splitPosition(msg.Payload) // history.go
		e, err := wire.Decode([]byte(payload))
		if err != nil {
			return // not ours: another program on the same channel
		}
		switch e.Kind {
		case wire.KindPublish:
			// In history mode a node's own publishes come back too.
			if (e.Msg.Node == b.node && b.hist == nil) || !b.topics.Wanted(msg.Channel) {
				return
			}
			e.Msg.Position = pos
			if b.track != nil {
				b.track.Receive(e.Msg) // in order, once, gaps filled
				return
			}
			b.deliverCounted(e.Msg)
		case wire.KindRequest:
			if msg.Channel == b.inbox {
				b.serveRequest(e)
			}
		case wire.KindReply:
			if msg.Channel == b.inbox {
				b.pendMu.Lock()
				ch := b.pending[e.ID]
				delete(b.pending, e.ID)
				b.pendMu.Unlock()
				if ch != nil {
					ch <- e
				}
			}
		}
	case *goredis.Pong:
		b.syncMu.Lock()
		ch := b.syncs[msg.Payload]
		delete(b.syncs, msg.Payload)
		b.syncMu.Unlock()
		if ch != nil {
			close(ch)
		}
		if b.track != nil && strings.HasPrefix(msg.Payload, catchUpToken) {
			if topics, ok := b.takeRecheck(msg.Payload); ok {
				b.track.Recheck(topics) // new subscriptions took effect
			} else {
				b.track.Behind() // the subscriptions are back: catch up
			}
		}
	}
}

// controlLoop applies Subscribe and Unsubscribe, and pings for Sync. A
// failed change is still recorded by go-redis, which applies it when it
// reconnects; a failed ping is retried.
func (b *Broker) controlLoop() {
	defer b.wg.Done()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.topics.Wake():
			b.apply()
			continue
		case <-b.syncReq:
		case <-retry.C:
		}
		b.apply()
		if !b.ping() {
			retry.Reset(100 * time.Millisecond)
		}
	}
}

func (b *Broker) apply() {
	add, remove := b.topics.Diff()
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	if b.track != nil {
		b.trackTopics(ctx, add, remove) // history.go
	}
	if len(add) > 0 {
		_ = b.ps.Subscribe(ctx, add...)
		if b.track != nil {
			b.recheckAfter(add) // history.go
		}
	}
	if len(remove) > 0 {
		_ = b.ps.Unsubscribe(ctx, remove...)
	}
}

// ping sends a PING for every Sync waiting; their PONGs come back on the
// subscription connection after every earlier (un)subscribe took effect.
func (b *Broker) ping() bool {
	b.syncMu.Lock()
	toks := make([]string, 0, len(b.syncs))
	for tok := range b.syncs {
		toks = append(toks, tok)
	}
	b.syncMu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	for _, tok := range toks {
		if err := b.ps.Ping(ctx, tok); err != nil {
			return false
		}
	}
	return true
}

func (b *Broker) pokeSyncs() {
	select {
	case b.syncReq <- struct{}{}:
	default:
	}
}

// Sync implements pubsub.Syncer.
func (b *Broker) Sync(ctx context.Context) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	if err := b.out.Flush(ctx); err != nil {
		return err
	}
	tok := fmt.Sprintf("anyws-sync-%d", b.syncSeq.Add(1))
	ch := make(chan struct{})
	b.syncMu.Lock()
	b.syncs[tok] = ch
	b.syncMu.Unlock()
	defer func() {
		b.syncMu.Lock()
		delete(b.syncs, tok)
		b.syncMu.Unlock()
	}()
	b.pokeSyncs()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
