package anyws

import (
	"context"
	"encoding/json"
	"fmt"

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
//     deleted when it ends, by the node it names (not when it moves:
//     the new node saves it);
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

// topicPayload is a published message for the peers' queues.
func (h *Hub) topicPayload(msg Message, topic string, pos pubsub.Position) *Payload {
	f := &Payload{msg: msg, topic: topic, pos: pos}
	if h.store != nil && pos.Offset != 0 {
		f.mark = sse.Mark(topic, pos.Epoch, pos.Offset)
	}
	return f
}

// recoverPeer rebuilds the peer a claim names from its record, its node
// being gone; it returns nil and why not when it cannot, or, with
// follow, the node to ask instead when the record names another holder
// (without: the walk found that node's records going round; the record
// is saved in the background, so it may still name a node the peer has
// left). seq is the claim's number, mark the claim's own mark (a
// browser's last id).
func (h *Hub) recoverPeer(ctx context.Context, hs *Handshake, c Conn, o *AttachOptions, secret, dead string, seq uint64, mark string, follow bool) (*Session, ResumeStatus, string) {
	rs := ResumeStatus{Attempted: true, Reason: "unknown"}
	key := recordKey(secret)
	b, err := h.store.ps.LoadPeer(ctx, key)
	if err != nil {
		h.reportError(nil, fmt.Errorf("anyws: recovering a peer of node %s: %w", dead, err))
		rs.again = true // the record may be there: claim again
		rs.why = fmt.Sprintf("loading the record of a peer of dead node %s: %v", dead, err)
		return nil, rs, ""
	}
	var rec peerRecord
	if b == nil || json.Unmarshal(b, &rec) != nil || rec.ID == "" {
		// Closed, expired, or never recorded: the operator should hear
		// that a client came back to a dead node for nothing.
		h.reportError(nil, fmt.Errorf("anyws: resuming a peer of node %s: the node is gone (%w) and the peer has no record (closed, expired or never saved)", dead, pubsub.ErrNoNode))
		rs.why = fmt.Sprintf("node %s is gone and the peer has no record (closed, expired or never saved)", dead)
		return nil, rs, ""
	}
	if follow && rec.Node != dead && rec.Node != h.opts.NodeID {
		return nil, rs, rec.Node // another node took it since: move it from there
	}
	// Take it: a claim that lands elsewhere now finds it here.
	rec.Node = h.opts.NodeID
	if nb, err := json.Marshal(rec); err == nil {
		if err := h.store.ps.SavePeer(ctx, key, nb, recordTTL); err != nil {
			h.reportError(nil, fmt.Errorf("anyws: recovering peer %s of node %s: %w", rec.ID, dead, err))
			rs.again, rs.why = true, fmt.Sprintf("saving the record of a peer of dead node %s: %v", dead, err)
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
		rs.why = fmt.Sprintf("reading the history of a peer of dead node %s: %v", dead, err)
		return nil, rs, ""
	}
	p.q.release(backlog)
	if err := h.register(p); err != nil {
		p.leaveTopics()
		p.cancel(err)
		rs.why = err.Error()
		return nil, rs, ""
	}
	rs = ResumeStatus{Attempted: true, Resumed: true, Recovered: true, Gaps: gaps}
	return h.open(p, c, o, rs), rs, ""
}
