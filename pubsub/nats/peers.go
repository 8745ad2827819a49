package nats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Peer records (pubsub.PeerStore) live in a JetStream key-value bucket,
// Prefix + "_peers" (with every character of the prefix that bucket
// names do not allow, such as '.', made '_'), keeping one value per key
// (History 1), stored as the history streams are (HistoryOptions). Only
// the HistoryBroker implements PeerStore: the bucket needs JetStream,
// which the Pub/Sub mode does not, and the Hub uses peer records only
// with a HistoryBroker (it rebuilds a dead node's peers from their
// records and the topics' history).
//
// nats-server 2.9 has no per-key expiry, so the bucket's TTL (its
// stream's MaxAge) is every record's: the ttl of the first save that
// finds no bucket, which makes it. A Hub gives the same ttl on every
// save, so that is its ttl. A save with a longer ttl than the bucket's
// (a Hub whose ttl grew since the bucket was made) raises the bucket's
// to it, once per broker: a record that expired before its Hub saved it
// again would be lost for a peer still alive; a shorter ttl leaves the
// bucket's (records then outlive their node a little longer, which is
// harmless). Keys that are not valid key-value keys are encoded like
// subject tokens.
//
// The bucket is looked up (or made) on first use and the handle kept,
// until a reconnect (the server may have restarted without its store, or
// with memory storage) or a call that finds it gone (deleted meanwhile).
// A bucket that is gone is made again by the next save; a load or delete
// that finds it gone has no record to return or delete.

var _ pubsub.PeerStore = (*HistoryBroker)(nil)

// peerStore is a HistoryBroker's handle on its bucket of peer records.
type peerStore struct {
	// sem is held while the bucket is looked up or made (a lock a
	// caller can stop waiting for): one node makes it once, and a
	// failure is not kept (the next call tries again).
	sem chan struct{}

	mu      sync.Mutex
	kv      jetstream.KeyValue // nil until found or made
	checked bool               // a save checked the bucket's TTL against its ttl
}

// peerBucket is the name of the broker's bucket of peer records.
func (b *Broker) peerBucket() string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, b.prefix) + "_peers"
}

// bucket returns the handle on the bucket, looking it up first. With
// ttl > 0 (a save) it makes the bucket if there is none and makes sure
// its TTL is at least ttl; without (a load or delete) it returns nil and
// no error if there is none.
func (b *HistoryBroker) bucket(ctx context.Context, ttl time.Duration) (jetstream.KeyValue, error) {
	p := &b.hist.peers
	p.mu.Lock()
	kv, checked := p.kv, p.checked
	p.mu.Unlock()
	if kv != nil && (checked || ttl <= 0) {
		return kv, nil
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("nats: peer records bucket: %w", ctx.Err())
	}
	defer func() { <-p.sem }()
	p.mu.Lock()
	kv, checked = p.kv, p.checked
	p.mu.Unlock()
	if kv != nil && (checked || ttl <= 0) {
		return kv, nil
	}
	name := b.peerBucket()
	var err error
	made := false
	if kv == nil {
		kv, err = b.hist.js.KeyValue(ctx, name)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			if ttl <= 0 {
				return nil, nil
			}
			cfg := jetstream.KeyValueConfig{
				Bucket:      name,
				Description: "anyws peer records",
				History:     1,
				TTL:         ttl,
				Storage:     jetstream.FileStorage,
				Replicas:    b.hist.opts.Replicas,
			}
			if b.hist.opts.Memory {
				cfg.Storage = jetstream.MemoryStorage
			}
			kv, err = b.hist.js.CreateKeyValue(ctx, cfg)
			made = err == nil
			if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) || isSubjectOverlap(err) {
				// Another node made it between the lookup and the create
				// (with another ttl: the ttl check below settles it).
				// nats-server 2.9 may say so as "subjects overlap", as
				// for the topics' streams (history.go).
				kv, err = b.hist.js.KeyValue(ctx, name)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("nats: peer records bucket %s: %w", name, err)
		}
		p.mu.Lock()
		p.kv = kv
		p.mu.Unlock()
	}
	if ttl > 0 {
		if !made {
			if err := b.growTTL(ctx, name, ttl); err != nil {
				return nil, err
			}
		}
		p.mu.Lock()
		p.checked = true
		p.mu.Unlock()
	}
	return kv, nil
}

// growTTL raises the bucket's TTL (its stream's MaxAge) to ttl if it is
// shorter.
func (b *HistoryBroker) growTTL(ctx context.Context, name string, ttl time.Duration) error {
	s, err := b.hist.js.Stream(ctx, "KV_"+name)
	if err != nil {
		return fmt.Errorf("nats: peer records bucket %s: %w", name, err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxAge == 0 || cfg.MaxAge >= ttl {
		return nil // no expiry (made by hand), or long enough
	}
	cfg.MaxAge = ttl
	if _, err := b.hist.js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("nats: peer records bucket %s: raising its TTL to %v: %w", name, ttl, err)
	}
	return nil
}

// forgetBucket drops the handle kv if it is still the one kept (nil:
// whichever is kept): its bucket is gone, or may be.
func (h *historyState) forgetBucket(kv jetstream.KeyValue) {
	p := &h.peers
	p.mu.Lock()
	if kv == nil || p.kv == kv {
		p.kv, p.checked = nil, false
	}
	p.mu.Unlock()
}

// bucketGone reports whether err says the bucket's stream is not there:
// a publish to it finds no stream, a direct get no responder.
func bucketGone(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, gonats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.Is(err, errNoAnswer)
}

// withBucket runs op on the bucket, and once more on a bucket looked up
// (a save: made) again if the one it had is gone. With ttl <= 0
// and no bucket, op is not run and withBucket returns nil.
func (b *HistoryBroker) withBucket(ctx context.Context, ttl time.Duration, op func(jetstream.KeyValue) error) error {
	if !b.usable() {
		return errClosed
	}
	for try := 0; ; try++ {
		kv, err := b.bucket(ctx, ttl)
		if err == nil && kv == nil {
			return nil
		}
		if err == nil {
			err = op(kv)
		}
		if err == nil || try > 0 || !bucketGone(err) {
			return err
		}
		// The bucket kept is gone (op, or the TTL check of a save, found
		// it so): forget it, and look it up again.
		b.hist.forgetBucket(kv)
	}
}

// SavePeer implements pubsub.PeerStore: a Put to the bucket, which the
// first save makes with ttl as every record's TTL.
func (b *HistoryBroker) SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("nats: save peer record: ttl %v is not positive", ttl)
	}
	err := b.withBucket(ctx, ttl, func(kv jetstream.KeyValue) error {
		_, err := kv.Put(ctx, token(key), rec)
		return err
	})
	if err != nil && !errors.Is(err, errClosed) {
		return fmt.Errorf("nats: save peer record: %w", err)
	}
	return err
}

// LoadPeer implements pubsub.PeerStore: a Get, nil when the key is
// missing, deleted or expired, or there is no bucket.
//
// A Get from a bucket that is gone is not refused: it is never answered
// (the direct get's subject has JetStream's API behind it, which says
// nothing of a stream it does not have). So the first Get is given
// getTimeout at most; past it the bucket is looked up again, and the Get
// is made once more, with the rest of ctx, if it is still there.
func (b *HistoryBroker) LoadPeer(ctx context.Context, key string) ([]byte, error) {
	var rec []byte
	first := true
	err := b.withBucket(ctx, 0, func(kv jetstream.KeyValue) error {
		gctx := ctx
		if first {
			first = false
			var cancel context.CancelFunc
			gctx, cancel = context.WithTimeout(ctx, getTimeout)
			defer cancel()
		}
		e, err := kv.Get(gctx, token(key))
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil
		}
		if err != nil && ctx.Err() == nil && gctx.Err() != nil {
			return fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		if err != nil {
			return err
		}
		rec = e.Value() // the message's own bytes: the caller's
		return nil
	})
	if err != nil && !errors.Is(err, errClosed) {
		return nil, fmt.Errorf("nats: load peer record: %w", err)
	}
	return rec, err
}

// getTimeout bounds LoadPeer's first Get (see LoadPeer).
const getTimeout = 2 * time.Second

// errNoAnswer: a Get had no answer within getTimeout: the bucket may be
// gone.
var errNoAnswer = errors.New("no answer within " + getTimeout.String())

// DeletePeer implements pubsub.PeerStore: a Delete (a marker that
// replaces the record, and expires with the bucket's TTL); nothing when
// there is no bucket.
func (b *HistoryBroker) DeletePeer(ctx context.Context, key string) error {
	err := b.withBucket(ctx, 0, func(kv jetstream.KeyValue) error {
		return kv.Delete(ctx, token(key))
	})
	if err != nil && !errors.Is(err, errClosed) {
		return fmt.Errorf("nats: delete peer record: %w", err)
	}
	return err
}
