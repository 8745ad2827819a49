package anyws

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/anyws/anyws/pubsub"
)

// Hand-overs that fail halfway, after the old node gave the peer up.
//
// The new node could not read the history: it parks the hand-over
// (parkedMove) for the client's next claim, which still names the old
// node, whose record of the move names this one.
//
// Lost answers. A hand-over is a request and its answer: the old node
// takes the peer off, answers with its state, and keeps only a record
// of where it went. When the answer does not reach the asking node (it
// timed out waiting, under load or while the broker stalled; the
// broker's connection dropped), the peer was in neither node: the
// client's next claim walked from the old node to the new one, which
// did not have it, and got a new peer (the full-size NATS run with a
// node killed lost 9 clients' peers this way).
//
// So the new node notes a request that failed without an answer
// (lostMove), and the old node keeps the state it handed out for a
// short while (handedKeep): it gives it again to the node it went to
// when that node asks again for the same claim and says its request was
// lost (moveRequest.Lost). Asking again alone would not do: the peer
// may have reached that node and moved on (the client heard from
// neither before its connections dropped, so it claims the same), and
// giving the state again would make a second peer (whose end would
// delete the peer's record: the full-size NATS run then lost a peer
// when its node died). When another node reaches the new node in its
// walk (the client's next claim landed there), the new node asks the
// old node again for the state and hands it on.

// handedKeep is how long an old node keeps a handed-out state for the
// node it went to, and that node its note of the unanswered request:
// the peer's resume window, the time its client has to come back (a
// client whose claims time out under load can take tens of seconds).
// The state goes only to a node that never got it (moveRequest.Lost), so
// keeping it longer never revives a peer that ended there; it costs the
// state's memory (its pending messages) for a window per hand-over.
func (h *Hub) handedKeep() time.Duration { return h.resumeWindow() }

// rememberHandOver records, with the move, the state handed out for the
// claim from seq on.
func (h *Hub) rememberHandOver(secret, node string, seq uint64, st moveState) {
	r := &moveRecord{node: node, at: time.Now(), seq: seq}
	r.handed.Store(&st)
	h.keepMove(secret, r)
	time.AfterFunc(h.handedKeep(), func() { r.handed.Store(nil) })
}

// handedTo returns the state handed out for secret's claim from seq on,
// if node is where it went and it is still kept.
func (h *Hub) handedTo(secret, node string, seq uint64) *moveState {
	v, ok := h.moved.Load(secret)
	if !ok {
		return nil
	}
	r := v.(*moveRecord)
	if r.node != node || r.seq != seq {
		return nil
	}
	return r.handed.Load()
}

// lostMove is a hand-over request of this node that failed without an
// answer: from may have handed the peer over.
type lostMove struct {
	from string
	seq  uint64
}

// noteLost records that a request to from for secret's claim from seq
// on got no answer.
func (h *Hub) noteLost(secret, from string, seq uint64) {
	lm := &lostMove{from: from, seq: seq}
	h.lost.Store(secret, lm)
	time.AfterFunc(h.handedKeep(), func() { h.lost.CompareAndDelete(secret, lm) })
}

// lostAt reports whether this node's request to node for secret's claim
// from seq on got no answer.
func (h *Hub) lostAt(secret, node string, seq uint64) bool {
	v, ok := h.lost.Load(secret)
	return ok && v.(*lostMove).from == node && v.(*lostMove).seq == seq
}

// fetchLost asks the node of a lost hand-over of secret's claim from seq
// on for its state again, and returns it (and the node it came from)
// when that node had handed the peer over here.
func (h *Hub) fetchLost(ctx context.Context, secret string, seq uint64) (moveState, string, bool) {
	v, ok := h.lost.Load(secret)
	if !ok || v.(*lostMove).seq != seq {
		return moveState{}, "", false
	}
	lm := v.(*lostMove)
	rq, _ := h.broker.(pubsub.Requester)
	req, _ := json.Marshal(moveRequest{Secret: secret, Seq: seq, From: h.opts.NodeID, Lost: true})
	ans, err := rq.Request(ctx, lm.from, moveService, req)
	var st moveState
	if err != nil || json.Unmarshal(ans, &st) != nil || st.ID == "" {
		return moveState{}, "", false
	}
	h.lost.CompareAndDelete(secret, lm)
	return st, lm.from, true
}

// answerGone answers a hand-over request for a peer this node does not
// hold: its state again, for the node it went to; its state fetched
// again from the old node, when this node's own request for it got no
// answer; else where it went, or "unknown".
func (h *Hub) answerGone(ctx context.Context, req moveRequest) moveState {
	if req.Lost {
		if st := h.handedTo(req.Secret, req.From, req.Seq); st != nil {
			return *st // the node it went to never got it
		}
	}
	if st, _, ok := h.fetchLost(ctx, req.Secret, req.Seq); ok {
		h.rememberMove(req.Secret, req.From)
		return st // handed on, as it came here
	}
	if r := h.moveRecord(req.Secret); r != nil {
		return moveState{Status: "moved", Node: r.node, At: r.at.UnixNano(), Why: fmt.Sprintf("its record of a move %s ago", time.Since(r.at).Round(time.Millisecond))}
	}
	return moveState{Status: "unknown", Why: "no such peer, and no record of a move"}
}

// parkedMove is a hand-over this node took and could not finish (its
// history reads failed): the old node has given the peer up and names
// this node as where it went, so the client's next claim comes here, or
// asks here from another node. from is the node that handed it over.
type parkedMove struct {
	from string
	seq  uint64 // the claim it was for
	st   moveState
}

// park keeps a hand-over that failed halfway for the client's next
// claim, for one resume window (the peer's window on the old node had
// stopped; this one stands in for it).
func (h *Hub) park(secret, from string, seq uint64, st moveState) {
	pm := &parkedMove{from: from, seq: seq, st: st}
	h.parked.Store(secret, pm)
	time.AfterFunc(h.resumeWindow(), func() { h.parked.CompareAndDelete(secret, pm) })
}

// unpark takes the hand-over parked for secret, if there is one for a
// claim from seq on: its client received nothing since the claim it was
// made for (that connection ended before the hello), so it claims the
// same again.
func (h *Hub) unpark(secret string, seq uint64) *parkedMove {
	v, ok := h.parked.Load(secret)
	if !ok || v.(*parkedMove).seq != seq || !h.parked.CompareAndDelete(secret, v) {
		return nil
	}
	return v.(*parkedMove)
}
