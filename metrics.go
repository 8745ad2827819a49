package anyws

import "time"

// Metrics receives the Hub's measurements, for a monitoring system:
// github.com/anyws/anyws/metrics/prometheus and metrics/otel implement
// it, in modules of their own so this one depends on neither. Set it in
// Options.Metrics; nil (the default) costs one nil check where each
// measurement is taken.
//
// The core calls the methods from many goroutines at once, some on hot
// paths (Published on every publish, BatchWritten on every write, from
// the peer's writer goroutine): they must be safe for concurrent use,
// must not block and should not allocate. transport is Peer.Transport
// ("websocket", "sse", or a third-party transport's name). Methods may
// be added before anyws 1.0: embed an implementation to keep yours
// compiling.
type Metrics interface {
	// Connected counts a new peer (it is open until Disconnected).
	Connected(transport string)
	// Disconnected counts a peer that is gone (its Close hook runs),
	// with the close code it saw.
	Disconnected(transport string, code StatusCode)
	// ConnectionLost counts a dropped connection whose peer waits for
	// its client to resume it (Options.ResumeWindow); the peer stays
	// open.
	ConnectionLost(transport string, code StatusCode)
	// ResumeClaimed counts a client's claim to an earlier peer: result
	// is "resumed", or ResumeStatus.Reason ("unknown", "gap",
	// "refused") when it got a new peer.
	ResumeClaimed(transport string, result string)
	// MessageReceived counts a client's message handed to the Message
	// hook (a resent one delivered already is not counted).
	MessageReceived(transport string, bytes int)
	// BatchWritten counts messages written to a connection in one
	// Conn.Write, their payload bytes (before the transport's framing),
	// and how long the write took.
	BatchWritten(transport string, messages, bytes int, took time.Duration)
	// QueueFull counts a message that did not fit a peer's queue (the
	// peer is closed with 1013, or the message dropped: OverflowPolicy).
	QueueFull(transport string)
	// MessagesDropped counts messages queued for a peer that will never
	// be written: refused by a full queue, discarded by a close that
	// does not flush (CloseNow, an overflow), or left when the peer
	// finished.
	MessagesDropped(transport string, messages int)
	// Published counts a publish (made here or relayed by the broker)
	// and how many of this node's peers it was queued for.
	Published(subscribers int)
	// BrokerError counts an error from the broker (a failed start,
	// publish, subscribe, or what the broker reported on its own: lost
	// publishes during an outage, say).
	BrokerError()
	// UplinkForwarded counts an SSE uplink message this node forwarded
	// to the node holding its stream, by the HTTP status the client got
	// (204 delivered; 502, 503, 504, ...: see adapters/sse).
	UplinkForwarded(status int)
}

// Metrics returns the Hub's Options.Metrics, or nil: adapters report
// what only they see (forwarded uplinks) through it.
func (h *Hub) Metrics() Metrics { return h.opts.Metrics }

// epoch is what writeBatch measures from: time.Since reads only the
// monotonic clock, time.Now the wall clock too (about 20 ns more per
// write on a VM's clock).
var epoch = time.Now()

// writeBatch is Conn.Write, measured when the Hub has Metrics.
func (l *link) writeBatch(b Batch) error {
	m := l.p.hub.opts.Metrics
	if m == nil {
		return l.c.Write(b)
	}
	start := time.Since(epoch)
	err := l.c.Write(b)
	if err == nil && len(b.Payloads) > 0 {
		took := time.Since(epoch) - start
		n := 0
		for _, f := range b.Payloads {
			n += f.msg.Len()
		}
		m.BatchWritten(l.p.transport, len(b.Payloads), n, took)
	}
	return err
}

// received counts a client's message delivered to the Message hook.
func (h *Hub) received(p *Peer, m Message) {
	if x := h.opts.Metrics; x != nil {
		x.MessageReceived(p.transport, m.Len())
	}
}

// queueFull counts a message refused by p's full queue.
func (h *Hub) queueFull(p *Peer) {
	if x := h.opts.Metrics; x != nil {
		x.QueueFull(p.transport)
		x.MessagesDropped(p.transport, 1)
	}
}

// dropped counts n messages p's queue will never write.
func (h *Hub) dropped(p *Peer, n int) {
	if x := h.opts.Metrics; x != nil && n > 0 {
		x.MessagesDropped(p.transport, n)
	}
}

// published counts a publish queued for n local peers.
func (h *Hub) published(n int) {
	if x := h.opts.Metrics; x != nil {
		x.Published(n)
	}
}
