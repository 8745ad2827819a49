package main

import (
	"net/http"
	"sync"

	"github.com/centrifugal/centrifuge"
)

// uniSSEHandler is centrifuge's unidirectional SSE, as Centrifugo's
// uni_sse builds it on the library's Transport interface: a GET opens the
// stream, the client is connected at once (no connect command needed; the
// server-side subscription does the rest), and every push the Client
// writes becomes one "data:" event, flushed. Pings are the Client's own
// (an empty push every 25 s); a unidirectional client owes no pong.
type uniSSEHandler struct {
	node *centrifuge.Node
}

func newUniSSEHandler(node *centrifuge.Node) *uniSSEHandler { return &uniSSEHandler{node: node} }

func (h *uniSSEHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := &uniSSETransport{
		protoMajor: r.ProtoMajor,
		messages:   make(chan [][]byte),
		written:    make(chan struct{}),
		closing:    make(chan struct{}),
		closed:     make(chan struct{}),
	}
	c, closeFn, err := centrifuge.NewClient(r.Context(), h.node, t)
	if err != nil {
		http.Error(w, "anyws-bench: centrifuge client: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = closeFn() }()
	defer close(t.closed) // runs before closeFn: a pending Write returns

	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	if c.ConnectNoErrorToDisconnect(centrifuge.ConnectRequest{}) != nil {
		return
	}
	var buf []byte
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.closing:
			return
		case msgs := <-t.messages:
			buf = buf[:0]
			for _, m := range msgs {
				buf = append(append(append(buf, "data: "...), m...), "\n\n"...)
			}
			_, err := w.Write(buf)
			if err == nil {
				err = rc.Flush()
			}
			t.written <- struct{}{} // the Client may reuse msgs now
			if err != nil {
				return
			}
		}
	}
}

// uniSSETransport hands the Client's writes to the request goroutine.
type uniSSETransport struct {
	protoMajor int
	messages   chan [][]byte
	written    chan struct{} // the handler wrote the last messages
	closing    chan struct{} // closed by Close
	closed     chan struct{} // closed when the handler returned

	mu       sync.Mutex
	isClosed bool
}

func (t *uniSSETransport) Name() string { return "uni_sse" }
func (t *uniSSETransport) AcceptProtocol() string {
	if t.protoMajor == 2 {
		return "h2"
	}
	return "h1"
}
func (t *uniSSETransport) Protocol() centrifuge.ProtocolType { return centrifuge.ProtocolTypeJSON }
func (t *uniSSETransport) ProtocolVersion() centrifuge.ProtocolVersion {
	return centrifuge.ProtocolVersion2
}
func (t *uniSSETransport) Unidirectional() bool      { return true }
func (t *uniSSETransport) Emulation() bool           { return false }
func (t *uniSSETransport) DisabledPushFlags() uint64 { return 0 }
func (t *uniSSETransport) PingPongConfig() centrifuge.PingPongConfig {
	return centrifuge.PingPongConfig{}
}

func (t *uniSSETransport) Write(m []byte) error { return t.WriteMany(m) }

func (t *uniSSETransport) WriteMany(ms ...[]byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.isClosed {
		return nil
	}
	select {
	case t.messages <- ms:
	case <-t.closed:
		return nil
	}
	<-t.written
	return nil
}

func (t *uniSSETransport) Close(centrifuge.Disconnect) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.isClosed {
		return nil
	}
	t.isClosed = true
	close(t.closing)
	<-t.closed
	return nil
}
