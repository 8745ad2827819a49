package pubsub

import (
	"context"
	"time"
)

// PeerStore is implemented by brokers that keep a small record per
// peer, so that a peer whose node died (kill -9, a lost machine) can be
// rebuilt on another node: the Hub saves a peer's record (its id,
// namespace, topics and where it started on each) when its
// subscriptions change, deletes it when the peer ends, and reads it when
// a client claims a peer whose node is no longer on the broker. With the
// client's last positions (anyws's clients keep them) and the topics'
// history (HistoryBroker), the peer then gets everything it missed.
//
// Records are opaque to the broker. Each lasts ttl after its last save
// (the Hub saves live peers' records again well before: a node that dies
// leaves records that expire by themselves); a broker may keep one ttl
// for all records (the first it is given: the Hub always gives the same).
type PeerStore interface {
	// SavePeer stores rec under key for ttl, replacing any record there.
	SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error
	// LoadPeer returns the record under key, or nil and no error when
	// there is none (never saved, deleted, or expired).
	LoadPeer(ctx context.Context, key string) ([]byte, error)
	// DeletePeer removes the record under key (no error when there is
	// none).
	DeletePeer(ctx context.Context, key string) error
}
