package websocketsse

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// Conn is a bidirectional SSE connection with coder/websocket's method
// set: Read, Write, Close, CloseNow. Read and Write may be called from
// different goroutines, and Writes from several (they are serialized).
// Always call Close or CloseNow, as with a websocket.Conn.
type Conn struct {
	url    string
	opts   DialOptions
	client *http.Client
	own    *http.Transport // the default client's transport, closed with the Conn

	ctx    context.Context // ends when the Conn is closed or has failed
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Conn started

	msgs       chan message  // received messages, closed when the stream ended for good
	streamDone chan struct{} // closed with msgs
	streamErr  error         // why the stream ended, written before streamDone is closed

	wsem  chan struct{} // capacity 1: serializes Write, and Close's end of the uplink
	up    *uplink       // the framed uplink, under wsem
	upSeq uint64        // the last numbered message (POST or framed event), under wsem
	// numbered is upSeq, for the stream's claims (sse.SentHeader).
	numbered atomic.Uint64
	sent     frames // framed events kept for a resend (uplink_resend.go)

	mu          sync.Mutex
	tok         string        // current uplink token; "" while (re)connecting
	tokenChange chan struct{} // closed and replaced whenever token or downErr changes
	downErr     error         // while reconnecting: why the last attempt failed
	postURL     string        // the stream's final URL, after redirects
	h2          bool          // the current stream came over HTTP/2
	subprotocol string
	lastID      string // last event ID, sent as Last-Event-ID on reconnect
	resumable   bool   // the server's stream said hello: its peer can be resumed
	resumed     bool   // the current stream resumed the earlier peer
	recovered   bool   // … on another node, its own having died
	mended      bool   // … with what it missed from the history
	gaps        []string

	// marks are the last topic positions received, sent with a claim
	// (internal/sse marks.go); the stream's goroutine owns them.
	marks   sse.MarkSet
	closing bool // Close or CloseNow was called
	dead    chan struct{}
	deadErr error // why the Conn died, set once before dead is closed
}

type message struct {
	typ  websocket.MessageType
	data []byte
}

func newConn(url string, o DialOptions) *Conn {
	c := &Conn{
		url:         url,
		opts:        o,
		client:      o.HTTPClient,
		msgs:        make(chan message, o.MaxQueuedMessages),
		streamDone:  make(chan struct{}),
		wsem:        make(chan struct{}, 1),
		marks:       sse.MarkSet{},
		tokenChange: make(chan struct{}),
		dead:        make(chan struct{}),
	}
	if c.client == nil {
		c.client, c.own = defaultClient()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// adopt takes the state of a new stream response: the uplink token, the
// URL to post to and the protocol.
func (c *Conn) adopt(resp *http.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.postURL = resp.Request.URL.String()
	c.h2 = resp.ProtoMajor == 2
	c.subprotocol = resp.Header.Get("Sec-WebSocket-Protocol")
	c.downErr = nil
	c.setTokenLocked(resp.Header.Get("x-crossws-id"))
}

// setDown records that a reconnect attempt failed, and wakes the Writes
// waiting for a token: they fail now rather than wait through the whole
// reconnect policy (tens of seconds) for a server that may be gone.
func (c *Conn) setDown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.downErr = err
	close(c.tokenChange)
	c.tokenChange = make(chan struct{})
}

func (c *Conn) setToken(tok string) {
	c.mu.Lock()
	c.setTokenLocked(tok)
	c.mu.Unlock()
}

func (c *Conn) setTokenLocked(tok string) {
	if tok == c.tok {
		return
	}
	c.tok = tok
	close(c.tokenChange)
	c.tokenChange = make(chan struct{})
}

// currentToken returns the token, the uplink mode of the current stream
// and a channel closed when the token next changes.
func (c *Conn) currentToken() (tok, postURL string, h2 bool, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok, c.postURL, c.h2, c.tokenChange
}

// reconnectError returns why the last reconnect attempt failed, if the
// stream is down and has failed to come back at least once.
func (c *Conn) reconnectError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != "" {
		return nil
	}
	return c.downErr
}

func (c *Conn) lastEventID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastID
}

// Read returns the next message, like websocket.Conn.Read. From an anyws
// server, which sends binary as `event: binary`, the type is always the
// one sent. From a crossws server an `event: message` whose data starts
// with "data:application/octet-stream;base64," is MessageBinary with the
// decoded bytes (data with that prefix that is not valid base64 is
// delivered as text, unchanged), anything else MessageText.
//
// Messages already received are returned before the end of the stream is
// reported. Then Read returns:
//   - a websocket.CloseError with the server's code and reason when the
//     server closed the peer (`event: close`), so websocket.CloseStatus
//     works;
//   - a CloseError with StatusNormalClosure when a reconnect got 204;
//   - an error saying what broke when the stream was lost and could not
//     be re-opened, or an event exceeded MaxEventSize (wrapping
//     websocket.ErrMessageTooBig);
//   - the uplink's error (an [*HTTPError] for 404/413/400) as soon as the
//     framed uplink has failed;
//   - an error wrapping net.ErrClosed after Close or CloseNow.
//
// Unlike websocket.Conn, a Read whose ctx ends leaves the Conn usable:
// no partial message is lost.
func (c *Conn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	select {
	case <-c.dead:
		return 0, nil, c.deadErr
	default:
	}
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return 0, nil, c.streamErr
		}
		return m.typ, m.data, nil
	case <-c.dead:
		return 0, nil, c.deadErr
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// Resumed reports whether the current event stream resumed the peer of
// the previous one, after the connection dropped: nothing the server sent
// was lost, and the peer kept its subscriptions. It is false for the
// first stream, after a reconnect that got a new peer (messages may have
// been lost), and with servers that cannot resume (crossws, or anyws with
// recovery off).
func (c *Conn) Resumed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resumed
}

// Recovered reports whether the current stream resumed the peer on
// another node after the node holding it died (with Resumed): every
// topic message it missed was delivered, except those of Gaps' topics
// (the history no longer covered them); direct messages the dead node
// had not sent are lost, and so are messages written before the
// reconnect that the dead node had not acknowledged (dropped, not sent
// again: the new node cannot know which arrived).
func (c *Conn) Recovered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recovered
}

// Mended reports whether the current stream resumed the peer after the
// client had missed more than the server kept for it (with Resumed):
// the topic messages it missed came again from the history, but direct
// messages among what was not kept are lost.
func (c *Conn) Mended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mended
}

// Gaps names the topics a recovered or mended peer could not get back
// what it missed of (see Recovered, Mended): they continue live.
func (c *Conn) Gaps() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gaps
}

// Subprotocol returns the Sec-WebSocket-Protocol header of the stream's
// response, or "". SSE has no sub-protocol negotiation of its own; an
// anyws or crossws server whose Upgrade hook picks a protocol answers it
// in that header when the request offered it (set it in
// DialOptions.HTTPHeader).
func (c *Conn) Subprotocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.subprotocol
}

// Close ends the Conn: it ends the framed uplink and waits (up to 5 s) for
// the server's answer to it, then closes the stream and waits for every
// goroutine of the Conn. The SSE protocol has no client close frame: an
// anyws server that keeps peers for a resume is sent a goodbye POST with
// code and reason (its Close hook sees them, and the peer does not wait
// out the resume window); other servers see the client leave, as when a
// browser tab closes (crossws, or an anyws Close hook without recovery,
// gets StatusGoingAway, 1001, "client went away").
//
// Close returns the uplink's error if it failed (a message the server
// refused with 413 or 400, for example), nil otherwise, and an error
// wrapping net.ErrClosed when the Conn was already closed.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	if !c.startClosing() {
		return ErrClosed
	}
	var err error
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case c.wsem <- struct{}{}:
		if up := c.up; up != nil {
			err = up.finish(t.C)
			c.up = nil
			if tok, _, _, _ := c.currentToken(); tok != up.token {
				err = nil // its peer was already gone: a reconnect replaced it
			}
		}
		ctx, cancel := context.WithTimeout(c.ctx, closeTimeout)
		c.sayGoodbye(ctx, code, reason)
		cancel()
		<-c.wsem
	case <-t.C:
		// A Write is stuck: CloseNow's path aborts it.
	}
	prev := c.shutdown(ErrClosed)
	if prev != nil {
		return prev
	}
	return err
}

// CloseNow closes the Conn at once: the uplink and the stream are
// aborted and the goroutines waited for.
func (c *Conn) CloseNow() error {
	if !c.startClosing() {
		return ErrClosed
	}
	c.shutdown(ErrClosed)
	return nil
}

func (c *Conn) startClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.closing = true
	return true
}

// fail marks the Conn dead with err (the first reason wins) and stops
// its goroutines. It does not wait for them, so they may call it.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.deadErr == nil {
		c.deadErr = err
		close(c.dead)
	}
	c.mu.Unlock()
	c.cancel()
}

// shutdown kills the Conn with err, waits for its goroutines and closes
// the default transport's idle connections. It returns the error that
// had already killed the Conn, if another did.
func (c *Conn) shutdown(err error) error {
	c.mu.Lock()
	prev := c.deadErr
	c.mu.Unlock()
	c.fail(err)
	c.wg.Wait()
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return prev
}
