package anyws

// PublishLocal sends data (converted as by Peer.Send) to the subscribers
// of topic on this node, in every namespace unless InNamespace says
// otherwise, for which keep returns true (all of them when keep is
// nil): melody's BroadcastFilter, better-sse's broadcast filter. It
// returns how many peers it was queued for.
//
// It is not relayed to the other nodes of the broker: keep is a Go
// function and cannot cross it. To reach the matching peers of every
// node, let every node run the PublishLocal: publish an ordinary message
// that the nodes' application code turns into one, or subscribe the
// peers that would match to a topic of their own and Publish to it.
//
// keep runs on the caller's goroutine, once per local subscriber, after
// the subscribers were listed and outside any lock of the Hub: it may
// call any Peer method (Get, Value, Namespace, ...). A peer that
// subscribes meanwhile may be missed; one that leaves is skipped. It
// never blocks on a peer and returns an error only if data cannot be
// encoded or the Hub is closed.
func (h *Hub) PublishLocal(topic string, data any, keep func(p *Peer) bool, opts ...PublishOption) (int, error) {
	ns := publishNamespace(opts)
	m, err := messageOf(data)
	if err != nil {
		return 0, err
	}
	if h.closed.Load() {
		return 0, ErrHubClosed
	}
	var subs []*Peer
	h.index.Each(ns, topic, func(p *Peer) { subs = append(subs, p) })
	f := NewPayload(m)
	n := 0
	for _, p := range subs {
		if keep == nil || keep(p) {
			if p.enqueue(f) == nil {
				n++
			}
		}
	}
	h.published(n)
	return n, nil
}
