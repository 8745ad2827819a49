package suite

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyws/anyws"
)

// recorder is a set of hooks that records what ran and fails the test when
// a guarantee breaks: Message before Open, two Message calls at once, a
// second Close, any hook after Close.
type recorder struct {
	t        testing.TB
	mu       sync.Mutex
	state    map[*anyws.Peer]string // "open", "closed"
	closes   map[*anyws.Peer]anyws.CloseInfo
	closed   chan *anyws.Peer // every Close, in order
	errs     chan error
	inFlight map[*anyws.Peer]int
	// delivered counts Message hook calls, for Transport.SyncWrites.
	delivered atomic.Int64

	// Optional behaviour, set before the hub is used.
	onOpen    func(p *anyws.Peer)
	onMessage func(p *anyws.Peer, m anyws.Message)
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{
		t:        t,
		state:    make(map[*anyws.Peer]string),
		closes:   make(map[*anyws.Peer]anyws.CloseInfo),
		inFlight: make(map[*anyws.Peer]int),
		closed:   make(chan *anyws.Peer, 1024),
		errs:     make(chan error, 1024),
	}
}

func (r *recorder) hooks() anyws.Hooks {
	return anyws.Hooks{
		Open: func(p *anyws.Peer) {
			r.mu.Lock()
			if s, ok := r.state[p]; ok {
				r.t.Errorf("Open for peer %s in state %q", p.ID(), s)
			}
			r.state[p] = "open"
			r.mu.Unlock()
			if r.onOpen != nil {
				r.onOpen(p)
			}
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			defer r.delivered.Add(1)
			r.mu.Lock()
			s := r.state[p]
			r.inFlight[p]++
			if n := r.inFlight[p]; n != 1 {
				r.t.Errorf("%d Message hooks of peer %s at once", n, p.ID())
			}
			r.mu.Unlock()
			defer func() {
				r.mu.Lock()
				r.inFlight[p]--
				r.mu.Unlock()
			}()
			if s != "open" {
				r.t.Errorf("Message for peer %s in state %q", p.ID(), s)
			}
			if r.onMessage != nil {
				r.onMessage(p, m)
			}
		},
		Close: func(p *anyws.Peer, c anyws.CloseInfo) {
			r.mu.Lock()
			if s := r.state[p]; s != "open" {
				r.t.Errorf("Close for peer %s in state %q", p.ID(), s)
			}
			r.state[p] = "closed"
			r.closes[p] = c
			r.mu.Unlock()
			r.closed <- p
		},
		Error: func(p *anyws.Peer, err error) {
			r.errs <- err
		},
	}
}

func (r *recorder) closeInfo(p *anyws.Peer) anyws.CloseInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closes[p]
}
