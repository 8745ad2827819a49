package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// A WebSocket that outlives its connection. Dial marks its handshake
// (anyws=2) and speaks the small protocol adapters/websocket documents:
// a hello each way, then numbered messages. When the connection drops,
// the Conn reconnects by itself, resumes its peer (same peer, its
// subscriptions, every message it missed, once, in order) and sends
// again what the server had not received; Read and Write just wait
// meanwhile. A server that cannot resume peers (recovery off) says so in
// its hello, and then a drop ends the Conn as with plain WebSocket.
//
// Revision 2 adds marks: a server that can rebuild a peer whose node
// died (its broker keeps peer records) prefixes every message with the
// message's topic position and a newline. The Conn strips that line,
// keeps the last mark per topic (sse.MarkSet) and claims with them all
// when it reconnects, since after a kill -9 they are the only record of
// what it received. A peer rebuilt that way (Hello.Recovered) cannot
// tell which of the client's last messages the dead node delivered, so
// the Conn drops them instead of sending them again (at most once) and
// counts them in ResumeStatus.Lost.

// errNoMark is a message without its mark line on a connection whose
// server said every message has one: the server does not speak the
// protocol it announced, and nothing after can be trusted.
var errNoMark = errors.New("client: protocol error: the server announced marks but sent a message without its mark line")

// ResumeStatus says how a WebSocket Conn's drops were survived
// (Conn.ResumeStatus).
type ResumeStatus struct {
	// Resumes counts the reconnects that got the peer back.
	Resumes int
	// Recovered counts those of them where the peer's node had died and
	// another node rebuilt the peer from its record in the broker and
	// the topic positions (marks) this client received: every topic
	// message it missed followed, but direct messages the dead node had
	// not written were lost, and the server's Open hook ran again.
	Recovered int
	// Lost counts the messages this client wrote that were dropped at a
	// recovery rather than sent again: the dead node may or may not
	// have delivered them, and sending them again could deliver them
	// twice (at most once, as over a plain WebSocket).
	Lost uint64
	// Mended counts the resumes where the client had missed more than
	// the server kept for it: the topic messages came again from the
	// history, but direct messages among what was not kept were lost.
	Mended int
	// Gaps names the topics the last recovery or mending could not get
	// back what the client missed of (the history no longer held it):
	// they went on live.
	Gaps []string
}

// ResumeError ends a Conn whose connection dropped and whose peer could
// not be resumed: the server no longer had it ("unknown": the resume
// window ended, or the server restarted), or no longer had the messages
// it missed ("gap"). Messages may have been lost: dial again and
// re-synchronise.
type ResumeError struct {
	Reason string
}

func (e *ResumeError) Error() string {
	return fmt.Sprintf("client: the connection dropped and its peer could not be resumed (%s): messages may have been lost", e.Reason)
}

const (
	// helloTimeout bounds the wait for the server's hello on a reconnect.
	helloTimeout = 10 * time.Second
	// resendBytes bounds what is kept of the messages sent, for sending
	// again those a dropped connection may not have delivered: a message
	// the server acknowledges in its hello is dropped from it, and what
	// is older than this much is taken as received (TCP delivers in
	// order; only what was in flight at the drop can be missing).
	resendBytes = 1 << 20
)

// sent is a message written and maybe not received.
type sent struct {
	seq  uint64
	typ  websocket.MessageType
	data []byte
}

// resumeConn is the transportConn of a resuming WebSocket.
type resumeConn struct {
	url  string
	opts websocket.DialOptions
	pol  websocketsse.Reconnect

	ctx    context.Context // ends with the Conn
	cancel context.CancelFunc
	wg     sync.WaitGroup // the reconnect goroutine

	mu      sync.Mutex
	cur     *websocket.Conn // nil while reconnecting
	gen     int             // bumped for each connection
	up      chan struct{}   // closed while cur is usable
	err     error           // what ended the Conn
	closing bool
	claim   string // "<secret>" of the peer, "" when it cannot be resumed
	readSeq uint64 // the number of the last message read
	// marked: cur's messages start with their mark (its Hello said so);
	// marks: the last mark per tag read from this peer, kept across its
	// reconnects.
	marked   bool
	marks    sse.MarkSet
	status   ResumeStatus
	reading  int // Reads in progress on cur
	readIdle sync.Cond
	proto    string

	wmu      sync.Mutex // one Write (or resend) at a time
	writeSeq uint64     // under wmu: the number of the last message written
	kept     []sent     // under wmu: kept[keptHead:] may need sending again
	keptHead int
	keptN    int
}

// dialResume dials a resuming WebSocket.
func dialResume(ctx context.Context, u string, opts *websocket.DialOptions, pol websocketsse.Reconnect) (*resumeConn, *http.Response, error) {
	mu, err := markURL(u)
	if err != nil {
		return nil, nil, err
	}
	c := &resumeConn{url: mu, opts: *opts, pol: pol, up: make(chan struct{}), marks: sse.MarkSet{}}
	c.readIdle.L = &c.mu
	c.ctx, c.cancel = context.WithCancel(context.Background())
	conn, hello, resp, err := c.dialOnce(ctx, "", []string{}, 0)
	if err != nil {
		c.cancel()
		return nil, resp, err
	}
	c.adopt(conn, hello)
	return c, resp, nil
}

// markURL adds the anyws=2 query parameter: revision 2, with marks.
func markURL(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	q := pu.Query()
	q.Set(sse.ClientParam, sse.ClientRevisionMarks)
	pu.RawQuery = q.Encode()
	return pu.String(), nil
}

// dialOnce opens one connection, sends the client's hello with claim and
// marks and reads the server's. marks is never nil: sent even empty, it
// tells the server the list is complete (a topic without a mark got
// nothing yet).
func (c *resumeConn) dialOnce(ctx context.Context, claim string, marks []string, sent uint64) (*websocket.Conn, sse.Hello, *http.Response, error) {
	var hello sse.Hello
	conn, resp, err := dialWS(ctx, c.url, &c.opts)
	if err != nil {
		return nil, hello, resp, err
	}
	ch, _ := json.Marshal(sse.ClientHello{Resume: claim, Marks: &marks, Sent: sent})
	if err := conn.Write(ctx, websocket.MessageText, ch); err != nil {
		_ = conn.CloseNow()
		return nil, hello, resp, fmt.Errorf("client: sending the hello: %w", err)
	}
	typ, data, err := conn.Read(ctx)
	if err != nil {
		_ = conn.CloseNow()
		return nil, hello, resp, fmt.Errorf("client: reading the server's hello: %w", err)
	}
	if typ != websocket.MessageText || json.Unmarshal(data, &hello) != nil {
		_ = conn.Close(websocket.StatusProtocolError, "client: expected the server's hello")
		return nil, hello, resp, errors.New("client: the server's first message is not anyws's hello: is it an anyws server? (set Options.Reconnect.MaxAttempts to -1 for plain WebSocket)")
	}
	return conn, hello, resp, nil
}

// adopt makes conn, whose server said hello, the current connection.
func (c *resumeConn) adopt(conn *websocket.Conn, h sse.Hello) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		_ = conn.CloseNow() // the Conn ended meanwhile
		return
	}
	c.cur = conn
	c.gen++
	c.proto = conn.Subprotocol()
	c.claim, c.readSeq = "", 0
	if secret, n, ok := splitClaim(h.ID); ok {
		c.claim, c.readSeq = secret, n
	}
	c.marked = h.Marks
	if !h.Resumed {
		// A new peer: the marks were the old one's positions.
		c.marks = sse.MarkSet{}
	}
	close(c.up)
}

// splitClaim splits "<secret>:<n>".
func splitClaim(id string) (string, uint64, bool) {
	for i := len(id) - 1; i > 0; i-- {
		if id[i] == ':' {
			var n uint64
			if _, err := fmt.Sscan(id[i+1:], &n); err != nil {
				return "", 0, false
			}
			return id[:i], n, true
		}
	}
	return "", 0, false
}

// current waits for a usable connection; marked: its messages start
// with their mark.
func (c *resumeConn) current(ctx context.Context) (conn *websocket.Conn, gen int, marked bool, err error) {
	for {
		c.mu.Lock()
		up, conn, gen, marked, err := c.up, c.cur, c.gen, c.marked, c.err
		c.mu.Unlock()
		if err != nil {
			return nil, 0, false, err
		}
		select {
		case <-up:
			if conn != nil {
				return conn, gen, marked, nil
			}
		case <-ctx.Done():
			return nil, 0, false, ctx.Err()
		case <-c.ctx.Done():
			return nil, 0, false, net.ErrClosed
		}
	}
}

// lost handles the end of connection gen: the Conn reconnects if its
// peer can be resumed, else it ends with err.
func (c *resumeConn) lost(gen int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.cur == nil || c.err != nil {
		return // already handled
	}
	_ = c.cur.CloseNow()
	c.cur = nil
	switch {
	case c.closing:
		c.err = net.ErrClosed
	case c.claim == "" || c.pol.MaxAttempts < 0:
		c.err = err
	default:
		c.up = make(chan struct{}) // Read and Write wait for the reconnect
		c.wg.Add(1)
		go c.reconnect(c.claim, err)
	}
	// Else c.up stays closed: the waiters see c.err.
}

// fail ends the Conn with err.
func (c *resumeConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	select {
	case <-c.up:
	default:
		close(c.up)
	}
	c.mu.Unlock()
}

// reconnect resumes the peer over a new connection, sends again what the
// server did not receive, and makes it current.
func (c *resumeConn) reconnect(secret string, lost error) {
	defer c.wg.Done()
	// The claim counts every message Read returned: wait for a Read
	// still on the old connection (aborted above) to return.
	c.mu.Lock()
	for c.reading > 0 {
		c.readIdle.Wait()
	}
	claim := fmt.Sprintf("%s:%d", secret, c.readSeq)
	marks := c.marks.List()
	c.mu.Unlock()
	c.wmu.Lock()
	sent := c.writeSeq // no Write numbers a message until a connection is current
	c.wmu.Unlock()
	for attempt := 1; ; attempt++ {
		if attempt > c.pol.MaxAttempts {
			c.fail(fmt.Errorf("client: connection lost, gave up after %d reconnect attempts: %w", attempt-1, lost))
			return
		}
		if !c.sleep(reconnectDelay(attempt, c.pol)) {
			c.fail(net.ErrClosed)
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, helloTimeout)
		conn, hello, _, err := c.dialOnce(ctx, claim, marks, sent)
		cancel()
		if err != nil {
			var he *HandshakeError
			if c.ctx.Err() != nil {
				c.fail(net.ErrClosed)
				return
			}
			if errors.As(err, &he) && final(he.StatusCode) {
				c.fail(fmt.Errorf("client: reconnect refused: %w", err))
				return
			}
			lost = err
			continue
		}
		if !hello.Resumed {
			_ = conn.Close(websocket.StatusNormalClosure, "client: could not resume")
			c.fail(&ResumeError{Reason: hello.Reason})
			return
		}
		c.wmu.Lock()
		if hello.Recovered {
			c.forget(hello.Received)
		} else {
			err = c.resend(conn, hello.Received)
		}
		if err == nil {
			c.adopt(conn, hello)
			c.mu.Lock()
			c.status.Resumes++
			if hello.Recovered {
				c.status.Recovered++
			}
			if hello.Mended {
				c.status.Mended++
			}
			if hello.Recovered || hello.Mended {
				c.status.Gaps = hello.Gaps
			}
			c.mu.Unlock()
		}
		c.wmu.Unlock()
		if err != nil {
			var re *ResumeError
			if errors.As(err, &re) {
				_ = conn.Close(websocket.StatusNormalClosure, "client: could not resume")
				c.fail(err)
				return
			}
			_ = conn.CloseNow()
			lost = err
			continue
		}
		return
	}
}

// resend sends again, in order, what was written after the server's
// last received message. Under wmu.
func (c *resumeConn) resend(conn *websocket.Conn, received uint64) error {
	c.trim(received)
	first := c.writeSeq + 1
	if c.keptHead < len(c.kept) {
		first = c.kept[c.keptHead].seq
	}
	if received+1 < first {
		return &ResumeError{Reason: "messages sent before the drop are no longer kept"}
	}
	ctx, cancel := context.WithTimeout(c.ctx, helloTimeout)
	defer cancel()
	for _, m := range c.kept[c.keptHead:] {
		if err := conn.Write(ctx, m.typ, m.data); err != nil {
			return err
		}
	}
	return nil
}

// forget drops, after a recovery, every message written and not
// acknowledged (the dead node may have delivered any of them: sending
// them again could deliver them twice), counts them lost, and numbers
// the next message received+1, as the rebuilt peer expects. Under wmu.
func (c *resumeConn) forget(received uint64) {
	lost := uint64(len(c.kept) - c.keptHead)
	clear(c.kept)
	c.kept, c.keptHead, c.keptN = c.kept[:0], 0, 0
	c.writeSeq = received
	c.mu.Lock()
	c.status.Lost += lost
	c.mu.Unlock()
}

// trim drops what the server said it received. Under wmu.
func (c *resumeConn) trim(received uint64) {
	for c.keptHead < len(c.kept) && c.kept[c.keptHead].seq <= received {
		c.dropKept()
	}
	c.compactKept()
}

// keep records a message written, within resendBytes. Under wmu.
func (c *resumeConn) keep(m sent) {
	c.kept = append(c.kept, m)
	c.keptN += len(m.data)
	for c.keptN > resendBytes && c.keptHead < len(c.kept)-1 {
		c.dropKept()
	}
	c.compactKept()
}

// dropKept drops the oldest kept message. Under wmu.
func (c *resumeConn) dropKept() {
	c.keptN -= len(c.kept[c.keptHead].data)
	c.kept[c.keptHead] = sent{}
	c.keptHead++
}

// compactKept moves what is kept to the front once the dropped messages
// are most of the slice: amortized, keeping a message costs O(1).
func (c *resumeConn) compactKept() {
	if c.keptHead > 64 && c.keptHead > len(c.kept)/2 {
		n := copy(c.kept, c.kept[c.keptHead:])
		clear(c.kept[n:])
		c.kept = c.kept[:n]
		c.keptHead = 0
	}
}

func (c *resumeConn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// reconnectDelay is the wait before attempt n (from 1): InitialDelay
// doubled for each failed attempt up to MaxDelay, a quarter of it at
// random, so that many clients dropped at once do not come back at once.
func reconnectDelay(n int, pol websocketsse.Reconnect) time.Duration {
	d := pol.InitialDelay
	for i := 1; i < n && d < pol.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, pol.MaxDelay)
	return d - d/4 + rand.N(d/4+1)
}

// Read reads the next message, across reconnects; on a marked
// connection it strips the message's mark line and keeps the mark.
func (c *resumeConn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	for {
		conn, gen, marked, err := c.current(ctx)
		if err != nil {
			return 0, nil, err
		}
		c.mu.Lock()
		c.reading++
		c.mu.Unlock()
		typ, data, err := conn.Read(ctx)
		var mark []byte
		if err == nil && marked {
			var ok bool
			if mark, data, ok = bytes.Cut(data, []byte{'\n'}); !ok {
				err = errNoMark
			}
		}
		c.mu.Lock()
		c.reading--
		if err == nil {
			c.readSeq++
			if len(mark) > 0 {
				c.marks.AddBytes(mark)
			}
		}
		c.readIdle.Broadcast()
		c.mu.Unlock()
		if err == nil {
			return typ, data, nil
		}
		if err == errNoMark {
			_ = conn.Close(websocket.StatusProtocolError, "client: a message without its mark line")
			c.fail(err)
			c.lost(gen, err)
			return 0, nil, err
		}
		if websocket.CloseStatus(err) != -1 {
			c.fail(err) // the server closed on purpose
			c.lost(gen, err)
			return 0, nil, err
		}
		c.lost(gen, err)
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
	}
}

// Write sends one message; a message a drop may have lost is sent again
// after the reconnect, so Write returns nil for it.
func (c *resumeConn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	for {
		conn, gen, _, err := c.current(ctx)
		if err != nil {
			return err
		}
		c.wmu.Lock()
		c.mu.Lock()
		stale, resumable := gen != c.gen, c.claim != ""
		c.mu.Unlock()
		if stale {
			c.wmu.Unlock()
			continue
		}
		if resumable {
			c.writeSeq++
			c.keep(sent{seq: c.writeSeq, typ: typ, data: append([]byte(nil), p...)})
		}
		err = conn.Write(ctx, typ, p)
		c.wmu.Unlock()
		if err == nil {
			return nil
		}
		c.lost(gen, err)
		if !resumable {
			return err
		}
		return nil // kept: sent again after the reconnect
	}
}

// Close closes the connection with a close handshake: the server's peer
// closes with code and reason.
func (c *resumeConn) Close(code websocket.StatusCode, reason string) error {
	return c.end(func(conn *websocket.Conn) error { return conn.Close(code, reason) })
}

// CloseNow closes the connection without a close handshake.
func (c *resumeConn) CloseNow() error {
	return c.end(func(conn *websocket.Conn) error { _ = conn.CloseNow(); return nil })
}

// end closes the current connection with close (unless reconnecting),
// stops reconnecting and waits for it; net.ErrClosed the second time.
func (c *resumeConn) end(close func(*websocket.Conn) error) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closing = true
	conn := c.cur
	c.mu.Unlock()
	var err error
	if conn != nil {
		err = close(conn)
	}
	c.cancel()
	c.wg.Wait()
	c.fail(net.ErrClosed)
	return err
}

// Subprotocol is the sub-protocol of the current connection.
func (c *resumeConn) Subprotocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proto
}

// resumeStatus reports the Conn's resumes so far.
func (c *resumeConn) resumeStatus() ResumeStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// conn is the current connection, or nil while reconnecting.
func (c *resumeConn) conn() *websocket.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}
