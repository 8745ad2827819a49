package anyws

// Stats is a snapshot of one Hub: this node's peers and subscriptions
// (each node of a broker has its own). Counts taken at one moment; they
// may be stale as soon as they are returned.
type Stats struct {
	// Peers is the number of open peers, Detached included.
	Peers int
	// Detached counts the peers whose connection dropped and that wait
	// for their client to resume them (Options.ResumeWindow).
	Detached int
	// Transports counts the peers by Peer.Transport.
	Transports map[string]int
	// Namespaces counts the peers by Peer.Namespace.
	Namespaces map[string]int
	// Topics counts the local subscribers of each topic that has any,
	// in every namespace (Hub.Subscribers).
	Topics map[string]int
}

// Stats returns a snapshot of the Hub's peers and topics, for a status
// page or an operator's endpoint; Options.Metrics is the way to
// monitor them over time.
func (h *Hub) Stats() Stats {
	s := Stats{Transports: map[string]int{}, Namespaces: map[string]int{}, Topics: map[string]int{}}
	h.mu.Lock()
	for _, p := range h.byID {
		s.Peers++
		s.Transports[p.transport]++
		if p.cur.Load() == nil {
			s.Detached++
		}
	}
	for ns, l := range h.ns {
		s.Namespaces[ns] = l.n
	}
	h.mu.Unlock()
	for _, t := range h.index.Topics() {
		if n := h.index.Count(t); n > 0 {
			s.Topics[t] = n
		}
	}
	return s
}

// Subscribers returns how many of this node's peers subscribe to topic,
// in every namespace (better-sse's sessionCount). Other nodes' peers are
// not counted.
func (h *Hub) Subscribers(topic string) int { return h.index.Count(topic) }
