package anyws_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/test/suite"
	"github.com/coder/websocket"
)

// A third-party transport, written against the seam only (transport.go),
// over Go channels instead of a network: each side's messages go through
// a bounded channel, so a client that stops reading blocks the server's
// writes as a full socket would; a close is a close frame answered by a
// close frame, as in WebSocket. The behaviour suite runs over it like
// over the real transports: what the suite checks is the core's, not
// the adapters'.

// TestSuiteOverThirdPartyTransport runs the behaviour suite over the
// channel transport.
func TestSuiteOverThirdPartyTransport(t *testing.T) {
	t.Parallel()
	suite.Run(t, pipeTransport())
}

var pipeHubs sync.Map // URL → *anyws.Hub
var pipeNext atomic.Int64

func pipeTransport() suite.Transport {
	return suite.Transport{
		Name: "pipe",
		Serve: func(t testing.TB, hub *anyws.Hub) string {
			url := fmt.Sprintf("pipe://%d/", pipeNext.Add(1))
			pipeHubs.Store(url, hub)
			t.Cleanup(func() { pipeHubs.Delete(url) })
			return url
		},
		Dial: func(ctx context.Context, t testing.TB, url string) (suite.Client, error) {
			h, ok := pipeHubs.Load(url)
			if !ok {
				return nil, errors.New("pipe: no such server")
			}
			return dialPipe(h.(*anyws.Hub))
		},
		CloseCodes:       true,
		ClientCloseCodes: true,
	}
}

// pipeWriteTimeout is the transport's write deadline.
const pipeWriteTimeout = 10 * time.Second

var errPipeAborted = errors.New("pipe: connection aborted")

// frame is one message, or a close frame.
type frame struct {
	typ   websocket.MessageType
	data  []byte
	close *anyws.CloseInfo
}

// pipe is one connection.
type pipe struct {
	toClient chan frame
	toServer chan frame

	abortOnce sync.Once
	aborted   chan struct{} // closed when the connection is cut
	doneOnce  sync.Once
	done      chan struct{} // closed when the server's close was sent
}

func (p *pipe) abort()     { p.abortOnce.Do(func() { close(p.aborted) }) }
func (p *pipe) closeSent() { p.doneOnce.Do(func() { close(p.done) }) }

// dialPipe connects a client to hub: the handshake is Accept (the
// Upgrade hook) then Attach.
func dialPipe(hub *anyws.Hub) (*pipeClient, error) {
	r := httptest.NewRequest(http.MethodGet, "http://pipe.test/", nil)
	hs, err := hub.Accept(r, nil, "pipe", nil)
	if err != nil {
		return nil, fmt.Errorf("pipe: handshake refused: %w", err)
	}
	p := &pipe{toClient: make(chan frame, 16), toServer: make(chan frame, 16), aborted: make(chan struct{}), done: make(chan struct{})}
	c := &pipeConn{p: p}
	if _, err := hub.Attach(hs, c, nil); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	go c.read()
	return &pipeClient{p: p}, nil
}

// pipeConn is the server side: the anyws.Conn.
type pipeConn struct {
	p *pipe
	s *anyws.Session // set by Bind, before the core's first call
}

var _ anyws.Conn = (*pipeConn)(nil)

func (c *pipeConn) Bind(s *anyws.Session) { c.s = s }

func (c *pipeConn) send(f frame) error {
	t := time.NewTimer(pipeWriteTimeout)
	defer t.Stop()
	select {
	case c.p.toClient <- f:
		return nil
	case <-c.p.aborted:
		return errPipeAborted
	case <-t.C:
		return errors.New("pipe: write timeout")
	}
}

func (c *pipeConn) Write(b anyws.Batch) error {
	for _, pl := range b.Payloads {
		m := pl.Message()
		typ := websocket.MessageText
		if m.IsBinary() {
			typ = websocket.MessageBinary
		}
		if err := c.send(frame{typ: typ, data: m.Bytes()}); err != nil {
			return err
		}
	}
	return nil
}

func (c *pipeConn) WriteClose(code anyws.StatusCode, reason string) error {
	err := c.send(frame{close: &anyws.CloseInfo{Code: code, Reason: reason}})
	c.p.closeSent()
	return err
}

func (c *pipeConn) KeepAlive() error { return nil }

func (c *pipeConn) Abort() { c.p.abort() }

// read is the transport's reader: it delivers the client's messages in
// order and reports how the connection ended, last.
func (c *pipeConn) read() {
	for {
		select {
		case f := <-c.p.toServer:
			if f.close != nil {
				_ = c.send(frame{close: f.close}) // the close handshake's answer
				c.s.Closed(*f.close)
				return
			}
			if err := c.s.Deliver(anyws.NewMessage(f.data, f.typ == websocket.MessageBinary), 0); err != nil {
				c.s.Closed(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err})
				return
			}
		case <-c.p.done:
			c.s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
			return
		case <-c.p.aborted:
			c.s.Dropped(anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "connection aborted"})
			return
		}
	}
}

// pipeClient is the client side, with the suite's Client methods.
type pipeClient struct {
	p       *pipe
	mu      sync.Mutex
	closed  error // the close frame read, returned by every later Read
	closing bool
}

func (c *pipeClient) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed != nil {
		return 0, nil, closed
	}
	select {
	case f := <-c.p.toClient:
		if f.close != nil {
			err := websocket.CloseError{Code: websocket.StatusCode(f.close.Code), Reason: f.close.Reason}
			c.mu.Lock()
			c.closed = err
			c.mu.Unlock()
			return 0, nil, err
		}
		return f.typ, f.data, nil
	case <-c.p.aborted:
		return 0, nil, errPipeAborted
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

func (c *pipeClient) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	c.mu.Lock()
	closing := c.closing || c.closed != nil
	c.mu.Unlock()
	if closing {
		return errors.New("pipe: closed")
	}
	select {
	case c.p.toServer <- frame{typ: typ, data: append([]byte(nil), p...)}:
		return nil
	case <-c.p.aborted:
		return errPipeAborted
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends a close frame and waits for the server's answer.
func (c *pipeClient) Close(code websocket.StatusCode, reason string) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return errors.New("pipe: closed")
	}
	c.closing = true
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case c.p.toServer <- frame{close: &anyws.CloseInfo{Code: anyws.StatusCode(code), Reason: reason}}:
	case <-c.p.aborted:
		return errPipeAborted
	case <-ctx.Done():
		c.p.abort()
		return ctx.Err()
	}
	for {
		if _, _, err := c.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return nil
			}
			c.p.abort()
			return err
		}
	}
}

func (c *pipeClient) CloseNow() error {
	c.p.abort()
	return nil
}
