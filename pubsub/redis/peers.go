package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anyws/anyws/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// Peer records (pubsub.PeerStore) are plain strings, Prefix + "peer:" +
// key, each with its own expiry (SET PX): a node that dies leaves
// records Redis drops by itself. Only the HistoryBroker implements
// PeerStore: the Hub rebuilds a dead node's peers from their records and
// the topics' history, so it uses the store only with a HistoryBroker.
//
// The commands go through the broker's client (Options.Client, or the
// one made from Options.URL), whose pool is not the subscription's
// connection nor the publish outbox's goroutine: a save waits for Redis,
// within ctx, and holds up neither deliveries nor publishes. They are
// idempotent, so the client's own retries are fine for them.

var _ pubsub.PeerStore = (*HistoryBroker)(nil)

func (b *Broker) peerKey(key string) string { return b.prefix + "peer:" + key }

// SavePeer implements pubsub.PeerStore: SET key rec with the ttl as its
// expiry (go-redis sends PX, or EX for whole seconds).
func (b *HistoryBroker) SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	if ttl <= 0 {
		// go-redis would store it without an expiry (0) or keep the old
		// one (-1): a record that never expires is never what is meant.
		return fmt.Errorf("redis: save peer record: ttl %v is not positive", ttl)
	}
	// PX takes milliseconds: a ttl under 1 ms would be refused.
	ttl = max(ttl, time.Millisecond)
	if err := b.client.Set(ctx, b.peerKey(key), rec, ttl).Err(); err != nil {
		return fmt.Errorf("redis: save peer record: %w", err)
	}
	return nil
}

// LoadPeer implements pubsub.PeerStore: GET, nil when the key is
// missing (never saved, deleted, or expired).
func (b *HistoryBroker) LoadPeer(ctx context.Context, key string) ([]byte, error) {
	if !b.started.Load() || b.gate.Closed() {
		return nil, errClosed
	}
	rec, err := b.client.Get(ctx, b.peerKey(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis: load peer record: %w", err)
	}
	// A copy: StringCmd.Bytes shares the reply string's memory, which a
	// caller that changes the record must not write to.
	return []byte(rec), nil
}

// DeletePeer implements pubsub.PeerStore: DEL, which is no error for a
// missing key.
func (b *HistoryBroker) DeletePeer(ctx context.Context, key string) error {
	if !b.started.Load() || b.gate.Closed() {
		return errClosed
	}
	if err := b.client.Del(ctx, b.peerKey(key)).Err(); err != nil {
		return fmt.Errorf("redis: delete peer record: %w", err)
	}
	return nil
}
