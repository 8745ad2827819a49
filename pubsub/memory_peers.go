package pubsub

import (
	"context"
	"sync"
	"time"
)

// memPeers is the in-process bus's PeerStore: every node of the bus
// sees the same records.
type memPeers struct {
	mu    sync.Mutex
	recs  map[string]memPeer
	saves int // every 1024th save sweeps out expired records
}

type memPeer struct {
	rec     []byte
	expires time.Time
}

var _ PeerStore = (*memoryBroker)(nil)

func (b *memoryBroker) SavePeer(_ context.Context, key string, rec []byte, ttl time.Duration) error {
	if _, err := b.live(); err != nil {
		return err
	}
	s := &b.bus.peers
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs == nil {
		s.recs = make(map[string]memPeer)
	}
	now := time.Now()
	if s.saves++; s.saves%1024 == 0 {
		for k, r := range s.recs {
			if now.After(r.expires) {
				delete(s.recs, k)
			}
		}
	}
	s.recs[key] = memPeer{rec: append([]byte(nil), rec...), expires: now.Add(ttl)}
	return nil
}

func (b *memoryBroker) LoadPeer(_ context.Context, key string) ([]byte, error) {
	if _, err := b.live(); err != nil {
		return nil, err
	}
	s := &b.bus.peers
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[key]
	if !ok || time.Now().After(r.expires) {
		delete(s.recs, key)
		return nil, nil
	}
	return append([]byte(nil), r.rec...), nil
}

func (b *memoryBroker) DeletePeer(_ context.Context, key string) error {
	if _, err := b.live(); err != nil {
		return err
	}
	s := &b.bus.peers
	s.mu.Lock()
	delete(s.recs, key)
	s.mu.Unlock()
	return nil
}
