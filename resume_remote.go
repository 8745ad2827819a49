package anyws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Resuming on another node. Behind a load balancer without sticky
// sessions a client's reconnect may land on any node. When the Hub's
// broker keeps history (pubsub.HistoryBroker) and carries requests
// (pubsub.Requester), a peer's resume claim names the node holding it
// ("<secret>.<node, base64url>:<seq>", see Session.ResumeKey), and a
// node that does not know the secret asks that node to hand the peer
// over:
//
//   - the old node takes the peer off its connection (if the server had
//     not seen it drop yet), checks the claim as a local resume would,
//     and answers with the peer's state: id, namespace, topics, the
//     client's last delivered uplink number, what is pending for the
//     client from the claim on (direct sends included), and per topic
//     the last position it queued; then the peer ends there (its Close
//     hook sees CloseInfo.Moved);
//   - the new node makes the same peer (same ID and secret; its values
//     are what this connection's Upgrade hook set), subscribes it while
//     holding what arrives live, reads each topic's history after the
//     old node's last position, and queues that backlog before what it
//     held, dropping duplicates by position: every message once, in
//     order per topic. Its Resume hook runs.
//
// When the old node is gone (killed, not on the broker) or no longer has
// the peer, or the history no longer covers the gap, the client gets a
// new peer and is told (ResumeStatus.Reason "unknown" or "gap"); a node
// that did not answer, or a hand-over that failed halfway, is also
// reported to the Error hook (nil peer).

// moveService is the broker service a node answers hand-over requests on.
const moveService = "anyws.move"

// moveTimeout bounds a hand-over: the request, and the history reads.
const moveTimeout = 10 * time.Second

// handOverWait bounds the old node's wait for the peer's connection
// there to end: well within moveTimeout, so that the asking node is
// still waiting when the old node answers (an answer after it gave up
// is lost: resume_halfway.go).
const handOverWait = moveTimeout / 2

// maxWalk bounds the nodes a claim's walk asks: a peer that keeps moving
// while the claim follows it (claims of one client racing on several
// nodes) cannot hold the claim for longer than that many requests.
const maxWalk = 32

// topicStartTimeout bounds markTopicStart's read, which the subscribing
// peer's hook waits for (once per topic and node): during a broker
// outage a move then continues from what the node fanned out.
const topicStartTimeout = time.Second

// startMoving turns cross-node resume on when the broker can do it: the
// Hub's claims name this node, and it answers hand-over requests.
func (h *Hub) startMoving() {
	rq, ok := h.broker.(pubsub.Requester)
	if !ok || h.historyBroker() == nil {
		return
	}
	h.route = "." + base64.RawURLEncoding.EncodeToString([]byte(h.opts.NodeID))
	rq.Handle(moveService, h.answerMove)
	if ps, ok := h.broker.(pubsub.PeerStore); ok {
		h.store = newPeerRecords(h, ps)
	}
}

// ResumeKey is the part of a resume claim before the colon: the peer's
// secret, followed by its node's name when a client may resume it on
// another node. Transports write claims as ResumeKey() + ":" + seq.
func (s *Session) ResumeKey() string { return s.p.secret + s.p.hub.route }

// splitKey splits a claim's key into the secret and the node it names
// ("" when it names none or is malformed).
func splitKey(key string) (secret, node string) {
	secret, enc, ok := strings.Cut(key, ".")
	if !ok {
		return key, ""
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return secret, ""
	}
	return secret, string(b)
}

// moveRequest asks a node for one of its peers.
type moveRequest struct {
	Secret string `json:"secret"`
	Seq    uint64 `json:"seq"`
	From   string `json:"from"` // the asking node, where the peer goes
	// Mend: the claim has the client's marks, so a client that missed
	// more than the old node kept can be mended from the history.
	Mend bool `json:"mend,omitempty"`
	// Lost: the asking node's earlier request for this claim got no
	// answer, so the node may give the state it handed out again
	// (resume_halfway.go). Asking again alone proves nothing: the peer
	// may have passed through the asking node and left.
	Lost bool `json:"lost,omitempty"`
}

// markTopicStart records, when this node subscribes to topic on a
// broker that keeps history, the topic's newest position then (zero: it
// was empty): a peer that moves away before this node fanned out any of
// the topic's messages continues from there, not from nothing. It costs
// one history read per topic and node, when the node first subscribes.
func (h *Hub) markTopicStart(topic string) {
	if h.route == "" {
		return
	}
	if _, ok := h.topicStart.Load(topic); ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), topicStartTimeout)
	defer cancel()
	ms, err := h.historyBroker().History(ctx, topic, pubsub.Position{}, 1)
	if err != nil && !errors.Is(err, pubsub.ErrNotCovered) {
		return // unknown: a move continues from what was fanned out
	}
	var top pubsub.Position
	if len(ms) == 1 {
		top = ms[0].Position
	}
	h.topicStart.LoadOrStore(topic, top)
}

// moveState is a peer handed over, or why not (Status: "unknown",
// "gap", "busy": claims of the client race there, "refused", or "moved"
// with the node it went to: a client whose claim
// still names the old node, because its connection to the new one
// dropped before it heard from it).
type moveState struct {
	Status  string                     `json:"status,omitempty"`
	Node    string                     `json:"node,omitempty"`
	ID      string                     `json:"id,omitempty"`
	NS      string                     `json:"ns,omitempty"`
	Topics  []string                   `json:"topics,omitempty"`
	UpSeq   uint64                     `json:"upSeq,omitempty"`
	Base    uint64                     `json:"base,omitempty"`
	Pending []movedPayload             `json:"pending,omitempty"`
	Pos     map[string]pubsub.Position `json:"pos,omitempty"`
	// FromStart are topics that were empty when the old node subscribed
	// and of which it fanned out nothing: all their history is new.
	FromStart []string `json:"fromStart,omitempty"`
	// Starts is where the peer started on each topic, for its record
	// in the broker (peer_records.go).
	Starts map[string]pubsub.Position `json:"starts,omitempty"`
	// Mend: the client missed more than the old node kept; Pending holds
	// its direct messages only, and the new node places each topic
	// from the client's marks (resume_marks.go).
	Mend bool `json:"mend,omitempty"`
	// Why says, with a Status that is not a hand-over, what the old node
	// saw (for the new node's ResumeStatus.why: the operator's log).
	Why string `json:"why,omitempty"`
	// At is, with Status "moved", when the move that node records
	// happened (Unix nanoseconds): it tells one record from another, so
	// that a walk can tell records that go round from a peer that went
	// round while the walk followed it.
	At int64 `json:"at,omitempty"`
}

type movedPayload struct {
	Data    []byte          `json:"data"`
	Binary  bool            `json:"binary,omitempty"`
	Event   string          `json:"event,omitempty"`
	Comment string          `json:"comment,omitempty"`
	Topic   string          `json:"topic,omitempty"`
	Pos     pubsub.Position `json:"pos,omitzero"`
}

func (h *Hub) movedPayload(m movedPayload) *Payload {
	msg := Message{data: m.Data, binary: m.Binary}.withEvent(m.Event, m.Comment)
	return h.topicPayload(msg, m.Topic, m.Pos)
}

// answerMove runs on the node holding a peer another node was asked to
// resume.
func (h *Hub) answerMove(ctx context.Context, payload []byte) []byte {
	var req moveRequest
	var st moveState
	if err := json.Unmarshal(payload, &req); err != nil {
		st.Status = "refused"
	} else {
		h.mu.Lock()
		p := h.bySecret[req.Secret]
		h.mu.Unlock()
		if p == nil && h.awaitIncoming(ctx, req.Secret) {
			h.mu.Lock()
			p = h.bySecret[req.Secret]
			h.mu.Unlock()
		}
		var pm *parkedMove
		if p == nil {
			pm = h.unpark(req.Secret, req.Seq)
		}
		switch {
		case p != nil:
			st = p.moveOut(req.Seq, req.From, req.Mend)
		case pm != nil:
			// A hand-over this node could not finish: it goes on to the
			// node that asks, as it came here.
			st = pm.st
			h.rememberMove(req.Secret, req.From)
		default:
			st = h.answerGone(ctx, req)
		}
	}
	b, _ := json.Marshal(st)
	return b
}

// awaitIncoming waits, if the peer with secret is moving here right now
// (a client whose connection dropped again before this node's hello
// asks for it elsewhere, or here), until it has arrived or failed to;
// it reports whether there was such a move.
func (h *Hub) awaitIncoming(ctx context.Context, secret string) bool {
	v, ok := h.incoming.Load(secret)
	if !ok {
		return false
	}
	select {
	case <-v.(chan struct{}):
	case <-ctx.Done():
	case <-time.After(moveTimeout):
	}
	return true
}

// moveRecord is where a peer went when it moved from this node. Each
// move makes a new one, so that the expiry of an earlier move's record
// (to the same node, say) cannot remove a later one. A hand-over's
// record also keeps, for a while, the state handed out for the claim
// from seq on (resume_halfway.go).
type moveRecord struct {
	node   string
	at     time.Time // when it moved, for the log of a failed claim
	seq    uint64
	handed atomic.Pointer[moveState] // for handedKeep
}

// moveRecord returns the record of where the peer with secret last
// moved to from here, while it lasts (see rememberMove), or nil.
func (h *Hub) moveRecord(secret string) *moveRecord {
	if r, ok := h.moved.Load(secret); ok {
		return r.(*moveRecord)
	}
	return nil
}

// rememberMove records that the peer with secret moved from here to
// node, for a claim that still names this node (its client did not hear
// from node before its connection dropped again). Such a claim is good
// until the peer's window on node ends: the window runs from when node
// saw the connection drop, which may be a while after the move (a
// keep-alive timeout), so the record is kept for two windows.
func (h *Hub) rememberMove(secret, node string) {
	h.keepMove(secret, &moveRecord{node: node, at: time.Now()})
}

// keepMove stores a complete record r (it is read without a lock).
func (h *Hub) keepMove(secret string, r *moveRecord) {
	h.moved.Store(secret, r)
	time.AfterFunc(2*h.resumeWindow(), func() { h.moved.CompareAndDelete(secret, r) })
}

// moveOut takes the peer off this node for a client that resumes it on
// node to, from the claim's seq on.
func (p *Peer) moveOut(seq uint64, to string, mend bool) moveState {
	h := p.hub
	mended := false
	if reason := p.reclaim(seq, handOverWait, mend); reason == "mend" {
		mended = true // the new node reads the history after the client's marks
	} else if reason != "" {
		switch reason {
		case "moved":
			if r := h.moveRecord(p.secret); r != nil {
				return moveState{Status: "moved", Node: r.node, At: r.at.UnixNano(), Why: "handed on by a claim that came first"}
			}
			return moveState{Status: "unknown", Why: "moved by an earlier claim, whose record of the move has expired"}
		case "unknown":
			return moveState{Status: "unknown", Why: "the peer has ended, or its resume window is ending"}
		case "stuck":
			h.reportError(nil, fmt.Errorf("anyws: peer %s not handed over to node %s: its connection here did not end within %s", p.id, to, handOverWait))
			reason = "busy"
		}
		return moveState{Status: reason}
	}
	items, base, pos := p.q.handOff()
	handing := make(chan struct{})
	p.handing = handing
	p.linkMu.Unlock()
	defer close(handing) // after the record and finish below

	st := moveState{ID: p.id, NS: p.ns, Base: base, Pos: pos, Mend: mended}
	p.mu.Lock()
	for t := range p.topics.all() {
		st.Topics = append(st.Topics, t)
		if _, ok := pos[t]; !ok && !mended {
			// Nothing of t was queued for the peer: it continues from
			// the last message this node fanned out, or from where the
			// topic stood when this node subscribed.
			if s, ok := h.topicStartPos(t); ok && s.IsZero() {
				st.FromStart = append(st.FromStart, t)
			} else if ok {
				pos[t] = s
			}
		}
	}
	if p.starts != nil {
		st.Starts = maps.Clone(p.starts)
	}
	p.mu.Unlock()
	p.hookMu.Lock()
	st.UpSeq = p.upSeq
	p.hookMu.Unlock()
	for _, f := range items {
		m := f.msg
		st.Pending = append(st.Pending, movedPayload{
			Data: m.data, Binary: m.binary, Event: m.EventName(), Comment: m.Comment(),
			Topic: f.topic, Pos: f.pos,
		})
	}
	h.rememberHandOver(p.secret, to, seq, st)
	p.finish(CloseInfo{Code: StatusGoingAway, Reason: "resumed on another node", Moved: true})
	return st
}

// resumeRemote asks node for the peer a claim names, and serves it here
// over c. It returns nil and why not when the peer could not be moved.
func (h *Hub) resumeRemote(hs *Handshake, c Conn, o *AttachOptions, secret, node string, seq uint64, mark string) (*Session, ResumeStatus) {
	rs := ResumeStatus{Attempted: true, Reason: "unknown"}
	rq, _ := h.broker.(pubsub.Requester)
	hb := h.historyBroker()
	if rq == nil || hb == nil {
		rs.why = "no such peer here, and this node's broker cannot move peers between nodes"
		return nil, rs
	}
	arrived := make(chan struct{})
	if _, busy := h.incoming.LoadOrStore(secret, arrived); busy {
		// Another connection of the client is bringing it here now:
		// this one claims again, and will find it here.
		rs.again, rs.why = true, "another claim of the client is moving the peer here"
		return nil, rs
	}
	defer func() {
		h.incoming.Delete(secret)
		close(arrived)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	ask := moveRequest{Secret: secret, Seq: seq, From: h.opts.NodeID, Mend: h.canMend(o, mark)}
	// Follow the peer from node to node: each answer "moved" names a
	// node it went to later. A node may come up twice: the peer can go
	// round while the walk follows it (a claim of the same client, from a
	// connection that dropped, moved it back meanwhile), so the walk
	// gives up only when a node answers with a record it gave before:
	// records that go round, none current.
	var st moveState
	seen := map[string]bool{} // the "moved" records answered, by node and time
	var trail []string        // each hop and its answer, for rs.why
	dead := ""                // a node of the walk that is no longer on the broker
	for hops := 0; ; hops++ {
		if node == h.opts.NodeID {
			r := h.moveRecord(secret)
			if pm := h.unpark(secret, seq); pm != nil {
				// This node took the peer over and failed halfway: it
				// kept the old node's hand-over; take over from that.
				return h.takeOver(hs, c, o, secret, pm.from, seq, mark, pm.st)
			}
			if st, from, ok := h.fetchLost(ctx, secret, seq); ok {
				// Its request for the peer got no answer: the old node
				// gave the state again.
				return h.takeOver(hs, c, o, secret, from, seq, mark, st)
			}
			if r == nil {
				// It was here and is gone.
				trail = append(trail, fmt.Sprintf("%s (here): no record", node))
				rs.why = fmt.Sprintf("the claim names this node, which no longer has the peer nor a record of where it went (walk: %s)", strings.Join(trail, " → "))
				return nil, rs
			}
			st = moveState{Status: "moved", Node: r.node, At: r.at.UnixNano(), Why: "this node's record"}
		} else {
			if hops == maxWalk {
				rs.why = fmt.Sprintf("the peer moved more than %d times while the claim followed it (walk: %s)", maxWalk, strings.Join(trail, " → "))
				return nil, rs
			}
			ask.Lost = h.lostAt(secret, node, seq)
			req, _ := json.Marshal(ask)
			ans, err := rq.Request(ctx, node, moveService, req)
			if errors.Is(err, pubsub.ErrNoNode) && h.store != nil {
				// The node is gone: rebuild the peer from its record,
				// unless another node took it since (then move it from
				// there).
				trail = append(trail, fmt.Sprintf("%s: gone", node))
				dead = node
				s, st, holder := h.recoverPeer(ctx, hs, c, o, secret, node, seq, mark, true)
				if holder == "" {
					return s, st
				}
				node = holder
				continue
			}
			if err != nil {
				// The node is gone and its peers cannot be rebuilt (no
				// peer records), or the request failed (this node's
				// broker is down, the node was busy or did not answer in
				// time): the operator should hear why. Only the first
				// gets a new peer; the others may work when the client
				// claims again.
				h.reportError(nil, fmt.Errorf("anyws: resuming a peer of node %s: %w", node, err))
				rs.again = !errors.Is(err, pubsub.ErrNoNode)
				if rs.again {
					// node may have handed the peer over all the same.
					h.noteLost(secret, node, seq)
				}
				rs.why = fmt.Sprintf("asking node %s: %v", node, err)
				return nil, rs
			}
			st = moveState{}
			if json.Unmarshal(ans, &st) != nil {
				rs.why = fmt.Sprintf("node %s answered what this node cannot read", node)
				return nil, rs
			}
			if st.Status != "moved" {
				break
			}
		}
		trail = append(trail, fmt.Sprintf("%s: moved to %s (%s)", node, st.Node, st.Why))
		rec := fmt.Sprintf("%s→%s@%d", node, st.Node, st.At)
		if seen[rec] {
			if dead != "" && h.store != nil {
				// Round past a dead node: its record may not name the
				// newest holder yet (saved in the background), but
				// nobody else has the peer.
				s, st, _ := h.recoverPeer(ctx, hs, c, o, secret, dead, seq, mark, false)
				return s, st
			}
			rs.why = fmt.Sprintf("the nodes' records of the peer's moves go round (walk: %s)", strings.Join(trail, " → "))
			return nil, rs
		}
		seen[rec] = true
		node = st.Node
	}
	if st.ID == "" {
		rs.why = fmt.Sprintf("node %s answered %q: %s (walk: %s)", node, st.Status, st.Why, strings.Join(trail, " → "))
		switch st.Status {
		case "busy": // the old node still has it: claim again
			rs.again = true
		case "", "moved":
		default:
			rs.Reason = st.Status
		}
		return nil, rs
	}
	return h.takeOver(hs, c, o, secret, node, seq, mark, st)
}

// takeOver makes here the peer that node handed over (st), for the
// claim (seq, mark) and its connection c. When it fails after node gave
// the peer up, for a reason of this node's (the history could not be
// read), the hand-over is parked here (park) and the client is asked to
// claim again.
func (h *Hub) takeOver(hs *Handshake, c Conn, o *AttachOptions, secret, node string, seq uint64, mark string, st moveState) (*Session, ResumeStatus) {
	rs := ResumeStatus{Attempted: true, Reason: "unknown"}
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	hb := h.historyBroker()
	p := h.newPeer(hs, st.ID, secret, st.NS)
	items := make([]*Payload, len(st.Pending))
	for i, m := range st.Pending {
		items[i] = h.movedPayload(m)
	}
	p.q.restore(items, st.Base, st.Pos)
	p.upSeq = st.UpSeq
	if h.store != nil {
		p.starts = st.Starts
		if p.starts == nil {
			p.starts = make(map[string]pubsub.Position)
		}
	}
	// Subscribe while holding what comes live, then queue the backlog
	// each topic's history has after the old node's last position.
	p.q.hold()
	for _, t := range st.Topics {
		p.Subscribe(t)
	}
	var backlog []*Payload
	var err error
	var gaps []string
	if st.Mend {
		// Placed from the client's marks, not the old node's queue.
		var pos map[string]pubsub.Position
		var fromStart []string
		pos, fromStart, gaps = h.placeTopics(ctx, hb, st.Topics, st.Starts, claimMarks(o, mark))
		p.q.setPositions(pos)
		backlog, err = h.backlogEach(ctx, hb, p, st.Topics, pos, fromStart, &gaps)
	} else {
		backlog, err = h.backlog(ctx, hb, p, st.Topics, st.Pos, st.FromStart)
	}
	if err != nil {
		p.q.release(nil)
		p.leaveTopics()
		p.cancel(err)
		rs.why = fmt.Sprintf("reading the history of the peer moved from node %s: %v", node, err)
		if errors.Is(err, pubsub.ErrNotCovered) {
			rs.Reason = "gap"
		} else {
			// The old node gave the peer up and this one cannot read
			// its topics (its broker is down or slow): the client
			// claims again. The old node's record of the move names
			// this node, which keeps the hand-over for that claim, or
			// hands it on to the node that claim reaches; this node
			// being dead, the peer's record serves.
			rs.again = true
			h.park(secret, node, seq, st)
		}
		h.reportError(nil, fmt.Errorf("anyws: resuming peer %s moved from node %s: %w", st.ID, node, err))
		return nil, rs
	}
	p.q.release(backlog)
	if err := h.register(p); err != nil {
		p.leaveTopics()
		p.cancel(err)
		rs.why = err.Error()
		return nil, rs
	}
	// It is here again: a record of an earlier move from here is over,
	// and so is a request for it that got no answer.
	h.moved.Delete(secret)
	h.lost.Delete(secret)
	if p.starts != nil {
		h.store.changed(p) // its record names this node now
	}
	rs = ResumeStatus{Attempted: true, Resumed: true, Mended: st.Mend, Gaps: gaps}
	l := newLink(p, c, o, rs)
	s := &Session{p: p, l: l} // one handle: the transport keeps it
	if b, ok := c.(Binder); ok {
		b.Bind(s)
	}
	p.cur.Store(l)
	h.peerMovedIn(p)
	p.hookMu.Lock()
	if p.hooks.Resume != nil {
		p.recoverHook("Resume", func() { p.hooks.Resume(p) })
	}
	p.hookMu.Unlock()
	l.arm()
	l.notify()
	return s, rs
}

// backlog reads, for each topic, what its history has after pos[topic]
// that is for p (its namespace, not its own publishes).
func (h *Hub) backlog(ctx context.Context, hb pubsub.HistoryBroker, p *Peer, topics []string, pos map[string]pubsub.Position, fromStart []string) ([]*Payload, error) {
	var out []*Payload
	for _, t := range topics {
		since, ok := pos[t]
		if !ok && !slices.Contains(fromStart, t) {
			continue // the old node did not know where it stood: nothing to read
		}
		ms, err := hb.History(ctx, t, since, 0)
		if err != nil {
			return nil, fmt.Errorf("topic %q: %w", t, err)
		}
		for _, m := range ms {
			if (m.Namespace != "" && m.Namespace != p.ns) || (m.Sender != "" && m.Sender == p.id) {
				continue
			}
			msg := Message{data: m.Data, binary: m.Binary}.withEvent(m.Event, m.Comment)
			out = append(out, h.topicPayload(msg, t, m.Position))
		}
	}
	return out, nil
}

// leaveTopics undoes the subscriptions of a peer that was never
// registered.
func (p *Peer) leaveTopics() {
	p.mu.Lock()
	p.gone = true
	topics := p.topics
	p.topics = topicSet{}
	p.mu.Unlock()
	for t := range topics.all() {
		p.hub.unsubscribe(p, t)
	}
}
