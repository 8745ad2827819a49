package sse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/anyws/anyws"
)

// tokens maps uplink tokens to the sessions of open bidirectional
// streams. The token is a secret, not the peer's public id: knowing a
// peer's id (which chat apps show to everyone) must not let anyone post
// as that peer.
type tokens struct {
	mu sync.Mutex
	m  map[string]*entry

	// route is appended to every token when the Hub's broker can forward
	// uplinks between nodes: it names this node and Handler (see
	// forward.go). Set by New, read only after.
	route string
	fwd   *forwarder // nil without forwarding
}

// entry is registered before the stream's headers (which carry the
// token) are flushed, and ready once the peer is connected, so a client
// quick to POST waits for Open instead of getting 404.
type entry struct {
	ready chan struct{}
	s     *anyws.Session // set before ready is closed; nil if Connect failed
}

// newToken returns 128 random bits, hex encoded.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func (t *tokens) add() (string, *entry) {
	e := &entry{ready: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		tok := newToken() + t.route
		if _, dup := t.m[tok]; !dup {
			t.m[tok] = e
			return tok, e
		}
	}
}

func (t *tokens) remove(tok string) {
	t.mu.Lock()
	delete(t.m, tok)
	t.mu.Unlock()
}

// session returns the open session of tok, waiting for it to be
// connected, or nil if there is none (or ctx ended first).
func (t *tokens) session(ctx context.Context, tok string) *anyws.Session {
	t.mu.Lock()
	e := t.m[tok]
	t.mu.Unlock()
	if e == nil {
		return nil
	}
	select {
	case <-e.ready:
		return e.s
	case <-ctx.Done():
		return nil
	}
}
