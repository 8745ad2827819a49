package anyws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// A resumable peer's record in the broker (pubsub.PeerStore), which
// outlives its node: what resume_recover.go rebuilds a peer from.

// recordTTL is how long a peer's record outlives its last save: a dead
// node's records expire by themselves. Live peers' records are saved
// again every recordTTL/3.
const recordTTL = time.Hour

// recordSavers bounds the saves in flight at once.
const recordSavers = 8

// recordCoalesce is how long the saver waits after a change before it
// saves: a peer's changes that come together (an Open hook's
// subscriptions, a move's subscribe then register) are one save, not
// one each. A node that dies within it loses the change, as it would a
// save in flight.
const recordCoalesce = 20 * time.Millisecond

// peerRecord is what the broker keeps of a peer.
type peerRecord struct {
	ID     string   `json:"id"`
	NS     string   `json:"ns,omitempty"`
	Node   string   `json:"node"` // the node holding the peer
	Topics []string `json:"topics,omitempty"`
	// Starts holds, per topic, the position the peer started after
	// (zero: the topic's first message); a topic missing from it has no
	// known start (the node could not read the topic when it subscribed).
	Starts map[string]pubsub.Position `json:"starts,omitempty"`
}

// peerRecords saves peers' records in the broker, in the background:
// Subscribe must not wait on the network. A peer marked dirty is saved
// once, with its state when the save runs, however often it changed.
type peerRecords struct {
	h  *Hub
	ps pubsub.PeerStore

	mu      sync.Mutex
	dirty   map[*Peer]struct{}
	deletes []string
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	// stop ends the saves in flight when the Hub closes: a broker that
	// stopped answering must not hold Close up.
	ctx  context.Context
	stop context.CancelFunc
}

func newPeerRecords(h *Hub, ps pubsub.PeerStore) *peerRecords {
	r := &peerRecords{
		h: h, ps: ps,
		dirty: make(map[*Peer]struct{}),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	r.ctx, r.stop = context.WithCancel(context.Background())
	go r.run()
	return r
}

// recordKey is where a peer's record is kept: a hash of its secret, so
// that reading the broker does not give anyone a claim.
func recordKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// changed marks p's record to be saved.
func (r *peerRecords) changed(p *Peer) {
	r.mu.Lock()
	r.dirty[p] = struct{}{}
	r.mu.Unlock()
	r.poke()
}

// ended deletes the record of a peer that ended (not one that moved).
func (r *peerRecords) ended(p *Peer) {
	r.mu.Lock()
	delete(r.dirty, p)
	r.deletes = append(r.deletes, recordKey(p.secret))
	r.mu.Unlock()
	r.poke()
}

func (r *peerRecords) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run saves and deletes until close, and saves every live peer's record
// again every recordTTL/3.
func (r *peerRecords) run() {
	defer close(r.done)
	refresh := time.NewTicker(recordTTL / 3)
	defer refresh.Stop()
	var carry []recordOp // what a flush cut short by close left
	for {
		quitting := false
		select {
		case <-r.wake:
			select {
			case <-time.After(recordCoalesce):
			case <-r.quit:
				quitting = true
			}
		case <-refresh.C:
			for _, p := range r.h.Peers() {
				if p.starts != nil {
					r.mu.Lock()
					r.dirty[p] = struct{}{}
					r.mu.Unlock()
				}
			}
		case <-r.quit:
			quitting = true
		}
		ops := append(carry, r.take()...)
		if quitting || r.ctx.Err() != nil {
			// A shutdown's deletes (its peers closed on purpose) get
			// closeWait, not a hang on a broker that stopped answering.
			ctx, cancel := context.WithTimeout(context.Background(), closeWait)
			r.do(ctx, ops)
			cancel()
			return
		}
		carry = r.do(r.ctx, ops)
	}
}

// recordOp is one save or delete.
type recordOp func(ctx context.Context) error

// take returns what is pending as operations: a dirty peer's record is
// read now (its state when the save runs: however often it changed,
// once).
func (r *peerRecords) take() []recordOp {
	r.mu.Lock()
	dirty, deletes := r.dirty, r.deletes
	r.dirty, r.deletes = make(map[*Peer]struct{}), nil
	r.mu.Unlock()
	ops := make([]recordOp, 0, len(dirty)+len(deletes))
	for p := range dirty {
		rec, ok := p.record()
		if !ok {
			continue // ended, or moved away, meanwhile
		}
		key := recordKey(p.secret)
		ops = append(ops, func(ctx context.Context) error { return r.ps.SavePeer(ctx, key, rec, recordTTL) })
	}
	for _, key := range deletes {
		ops = append(ops, func(ctx context.Context) error { return r.deleteOwn(ctx, key) })
	}
	return ops
}

// deleteOwn deletes the record under key when it names this node. One
// that names another node is that node's: the peer that ended here was
// a stray copy (rebuilt from a record that had not caught up with a
// move yet, say), and the peer the other node holds must keep its
// record, or it could not be rebuilt if that node died. The read and
// the delete are two steps: a save by another node between them is
// lost, a window of one round trip where the stray copy's end came
// minutes after the other node's save.
func (r *peerRecords) deleteOwn(ctx context.Context, key string) error {
	b, err := r.ps.LoadPeer(ctx, key)
	if err != nil || b == nil {
		return err
	}
	var rec peerRecord
	if json.Unmarshal(b, &rec) == nil && rec.Node != "" && rec.Node != r.h.opts.NodeID {
		return nil
	}
	return r.ps.DeletePeer(ctx, key)
}

// do runs ops, recordSavers at a time, until ctx ends, and returns those
// it did not start. Failures are reported once per call, counted: with
// the broker down every save fails, and a call to the Error hook for
// each would bury everything else.
func (r *peerRecords) do(ctx context.Context, ops []recordOp) (left []recordOp) {
	sem := make(chan struct{}, recordSavers)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first atomic.Pointer[error]
	for i, op := range ops {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			left = ops[i:]
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(ctx, moveTimeout)
			defer cancel()
			if err := op(ctx); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, &err)
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		r.h.reportError(nil, fmt.Errorf("anyws: peer records: %d of %d saves and deletes failed (a peer without its record cannot be rebuilt if its node dies), the first: %w", n, len(ops)-len(left), *first.Load()))
	}
	if len(left) > 0 && r.ctx.Err() != nil && ctx != r.ctx {
		r.h.reportError(nil, fmt.Errorf("anyws: peer records: %d saves and deletes left undone at close: %w", len(left), ctx.Err()))
	}
	return left
}

// closeWait bounds the last flush of a Hub that shuts down: its deletes
// (its peers closed on purpose) are worth a few seconds, not a hang when
// the broker is gone.
const closeWait = 5 * time.Second

// close stops the saver after what is pending, within closeWait.
func (r *peerRecords) close() {
	r.stop()
	close(r.quit)
	<-r.done
}

// record returns p's record as JSON, or false once p has ended.
func (p *Peer) record() ([]byte, bool) {
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		return nil, false
	}
	rec := peerRecord{ID: p.id, NS: p.ns, Node: p.hub.opts.NodeID, Starts: make(map[string]pubsub.Position, len(p.starts))}
	for t := range p.topics.all() {
		rec.Topics = append(rec.Topics, t)
		if s, ok := p.starts[t]; ok {
			rec.Starts[t] = s
		}
	}
	p.mu.Unlock()
	b, err := json.Marshal(rec)
	return b, err == nil
}

// noteStart records, under p.mu, where p starts on a topic it just
// subscribed to, for its record.
func (p *Peer) noteStart(topic string) {
	if p.starts == nil {
		return
	}
	if _, ok := p.starts[topic]; ok {
		return
	}
	if s, ok := p.hub.topicStartPos(topic); ok {
		p.starts[topic] = s
	}
}

// topicStartPos is where a peer subscribing to topic now starts: after
// the last message this node fanned out, or, when it fanned out none,
// where the topic stood when this node subscribed (zero: it was empty).
// false: unknown (that read failed).
func (h *Hub) topicStartPos(topic string) (pubsub.Position, bool) {
	if last, ok := h.lastFanned.Load(topic); ok {
		return last.(pubsub.Position), true
	}
	if top, ok := h.topicStart.Load(topic); ok {
		return top.(pubsub.Position), true
	}
	return pubsub.Position{}, false
}
