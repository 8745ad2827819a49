package anyws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/pubsub"
)

// Recovering a peer whose node died. A move (resume_remote.go) asks the
// node holding the peer for its state; a node killed with kill -9 cannot
// answer, and its memory (the queue, the positions, the peer's topics)
// is gone. Two things outlive it:
//
//   - the peer's record in the broker (pubsub.PeerStore): its id,
//     namespace, topics and where it started on each, saved when its
//     subscriptions change, again every recordTTL/3 while it lives, and
//     deleted when it ends (not when it moves: the new node saves it);
//   - the client's marks (internal/sse marks.go): every topic message
//     carries its position, and anyws's clients keep the last one per
//     topic and send them all with their claim (a browser's EventSource
//     sends the last message's only).
//
// When the node a claim names is not on the broker (pubsub.ErrNoNode),
// the node that got the claim loads the record and takes the peer: it
// first saves the record with its own name, so a second claim of the
// same client (its connection dropped again) that lands elsewhere finds
// the peer here and moves it as usual. The peer keeps its id and secret
// and subscribes to the record's topics; each topic's history is read
// after the client's mark for it or, when the client's list is complete
// and has none, after where the peer started (it got nothing of the
// topic yet). What cannot be recovered is said, never guessed:
// ResumeStatus.Gaps lists the topics whose missed messages the history
// no longer covers, or whose position the claim did not carry; direct
// messages the dead node had not written are lost, and so are the
// client's messages it had not acknowledged (the client drops them: at
// most once, as Hello.Recovered tells it). The Open hook runs, since the
// application's state for the peer died with the node; Peer's
// ResumeStatus (Session.Resume) says Recovered.

// recordTTL is how long a peer's record outlives its last save: a dead
// node's records expire by themselves. Live peers' records are saved
// again every recordTTL/3.
const recordTTL = time.Hour

// recordSavers bounds the saves in flight at once.
const recordSavers = 8

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
		ops = append(ops, func(ctx context.Context) error { return r.ps.DeletePeer(ctx, key) })
	}
	return ops
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
	for t := range p.topics {
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

// topicPayload is a published message for the peers' queues.
func (h *Hub) topicPayload(msg Message, topic string, pos pubsub.Position) *Payload {
	f := &Payload{msg: msg, topic: topic, pos: pos}
	if h.store != nil && pos.Offset != 0 {
		f.mark = sse.Mark(topic, pos.Epoch, pos.Offset)
	}
	return f
}

// recoverPeer rebuilds the peer a claim names from its record, its node
// being gone; it returns nil and why not when it cannot, or the node to
// ask instead when the record names another holder that follow accepts
// (one the walk has not asked yet: the record is saved in the
// background, so it may still name a node the peer has left). seq is
// the claim's number, mark the claim's own mark (a browser's last id).
func (h *Hub) recoverPeer(ctx context.Context, hs *Handshake, c Conn, o *AttachOptions, secret, dead string, seq uint64, mark string, follow func(node string) bool) (*Session, ResumeStatus, string) {
	rs := ResumeStatus{Attempted: true, Reason: "unknown"}
	key := recordKey(secret)
	b, err := h.store.ps.LoadPeer(ctx, key)
	if err != nil {
		h.reportError(nil, fmt.Errorf("anyws: recovering a peer of node %s: %w", dead, err))
		rs.again = true // the record may be there: claim again
		return nil, rs, ""
	}
	var rec peerRecord
	if b == nil || json.Unmarshal(b, &rec) != nil || rec.ID == "" {
		// Closed, expired, or never recorded: the operator should hear
		// that a client came back to a dead node for nothing.
		h.reportError(nil, fmt.Errorf("anyws: resuming a peer of node %s: the node is gone (%w) and the peer has no record (closed, expired or never saved)", dead, pubsub.ErrNoNode))
		return nil, rs, ""
	}
	if rec.Node != dead && rec.Node != h.opts.NodeID && follow(rec.Node) {
		return nil, rs, rec.Node // another node took it since: move it from there
	}
	// Take it: a claim that lands elsewhere now finds it here.
	rec.Node = h.opts.NodeID
	if nb, err := json.Marshal(rec); err == nil {
		if err := h.store.ps.SavePeer(ctx, key, nb, recordTTL); err != nil {
			h.reportError(nil, fmt.Errorf("anyws: recovering peer %s of node %s: %w", rec.ID, dead, err))
			rs.again = true
			return nil, rs, ""
		}
	}

	hb := h.historyBroker()
	p := h.newPeer(hs, rec.ID, secret, rec.NS)
	p.starts = rec.Starts
	if p.starts == nil {
		p.starts = make(map[string]pubsub.Position)
	}
	pos, fromStart, gaps := h.placeTopics(ctx, hb, rec.Topics, rec.Starts, claimMarks(o, mark))
	p.q.restore(nil, seq+1, pos)
	p.upSeq = o.Sent // what the dead node may have delivered
	p.q.hold()
	for _, t := range rec.Topics {
		p.Subscribe(t)
	}
	backlog, err := h.backlogEach(ctx, hb, p, rec.Topics, pos, fromStart, &gaps)
	if err != nil {
		p.q.release(nil)
		p.leaveTopics()
		p.cancel(err)
		h.reportError(nil, fmt.Errorf("anyws: recovering peer %s of node %s: %w", rec.ID, dead, err))
		rs.again = true // the record is still there
		return nil, rs, ""
	}
	p.q.release(backlog)
	if err := h.register(p); err != nil {
		p.leaveTopics()
		p.cancel(err)
		return nil, rs, ""
	}
	rs = ResumeStatus{Attempted: true, Resumed: true, Recovered: true, Gaps: gaps}
	return h.open(p, c, o, rs), rs, ""
}

// clientMarks are the positions a claim carries: the client's last mark
// per tag, and whether the list is complete (anyws's clients send every
// tag they have; a browser's EventSource only its last id's).
type clientMarks struct {
	set      sse.MarkSet
	complete bool
}

// claimMarks collects a claim's marks: AttachOptions.Marks and the
// claim's own (mark).
func claimMarks(o *AttachOptions, mark string) clientMarks {
	cm := clientMarks{set: sse.MarkSet{}, complete: o.Marks != nil}
	for _, m := range o.Marks {
		cm.set.Add(m)
	}
	if mark != "" {
		cm.set.Add(mark)
	}
	return cm
}

// canMend reports whether a claim carries what it takes to give its
// client its topics' messages from the history, should it have missed
// more than its peer kept.
func (h *Hub) canMend(o *AttachOptions, mark string) bool {
	return h.store != nil && (o.Marks != nil || mark != "")
}

// placeTopics says where a client stands on each of topics: pos holds
// the position after which it needs the topic's messages (its mark, or,
// when its complete list has none, where the peer started: starts),
// fromStart the topics all of whose history it needs (it started on an
// empty topic), gaps those the claim cannot place (no mark and the list
// incomplete, or no known start): they continue live.
func (h *Hub) placeTopics(ctx context.Context, hb pubsub.HistoryBroker, topics []string, starts map[string]pubsub.Position, cm clientMarks) (pos map[string]pubsub.Position, fromStart, gaps []string) {
	pos = make(map[string]pubsub.Position, len(topics))
	for _, t := range topics {
		start, known := starts[t]
		since, ok := h.sinceOf(ctx, hb, t, cm.set, start, known)
		switch {
		case ok:
			pos[t] = since
		case !cm.complete || !known:
			gaps = append(gaps, t) // the claim does not say where it stood
		case start.IsZero():
			fromStart = append(fromStart, t)
		default:
			pos[t] = start
		}
	}
	return pos, fromStart, gaps
}

// mendPeer gives a peer whose client missed more than its queue kept
// (reclaim returned "mend": the queue restarted after the claim, holding
// what comes live) its topics' messages from the history, after the
// claim's marks, and returns the topics it could not.
func (h *Hub) mendPeer(p *Peer, marks []string, mark string) (gaps []string) {
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	p.mu.Lock()
	topics := make([]string, 0, len(p.topics))
	for t := range p.topics {
		topics = append(topics, t)
	}
	starts := maps.Clone(p.starts)
	p.mu.Unlock()
	hb := h.historyBroker()
	pos, fromStart, gaps := h.placeTopics(ctx, hb, topics, starts, claimMarks(&AttachOptions{Marks: marks}, mark))
	p.q.setPositions(pos)
	backlog, err := h.backlogEach(ctx, hb, p, topics, pos, fromStart, &gaps)
	if err != nil {
		h.reportError(p, fmt.Errorf("anyws: reading what the peer missed from the history: %w", err))
		backlog, gaps = nil, topics
	}
	p.q.release(backlog)
	return gaps
}

// sinceOf finds the client's position on topic among its marks: under
// the topic's current epoch, or the epoch it started in.
func (h *Hub) sinceOf(ctx context.Context, hb pubsub.HistoryBroker, topic string, marks sse.MarkSet, start pubsub.Position, known bool) (pubsub.Position, bool) {
	if len(marks) == 0 {
		return pubsub.Position{}, false
	}
	epochs := []string{}
	if known && start.Epoch != "" {
		epochs = append(epochs, start.Epoch)
	}
	if top, err := hb.History(ctx, topic, pubsub.Position{}, 1); err == nil && len(top) == 1 {
		epochs = append(epochs, top[0].Position.Epoch)
	}
	var best pubsub.Position
	for _, e := range epochs {
		if off, ok := marks[sse.Tag(topic, e)]; ok && off > 0 {
			best = pubsub.Position{Epoch: e, Offset: off} // the current epoch's last
		}
	}
	return best, !best.IsZero()
}

// backlogEach is backlog, topic by topic: a topic whose history no
// longer covers the client's position is added to gaps (it continues
// live) instead of failing the whole recovery.
func (h *Hub) backlogEach(ctx context.Context, hb pubsub.HistoryBroker, p *Peer, topics []string, pos map[string]pubsub.Position, fromStart []string, gaps *[]string) ([]*Payload, error) {
	var out []*Payload
	for _, t := range topics {
		b, err := h.backlog(ctx, hb, p, []string{t}, pos, fromStart)
		if errors.Is(err, pubsub.ErrNotCovered) {
			*gaps = append(*gaps, t)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
