package websocketsse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// streamEvents are what the read path does with each kind of event; the
// Conn implements them, the fuzz test replaces them.
type streamEvents interface {
	// token is an `event: crossws-id`.
	token(tok string)
	// hello is an anyws server's `event: anyws`, which opens a stream
	// whose peer can be resumed.
	hello(data []byte)
	// message is an `event: message`; it returns false when the reader
	// must stop (the Conn is closing).
	message(m message) bool
	// mark is a topic message's mark (the end of its id, internal/sse
	// marks.go), before the message; valid during the call only.
	mark(m []byte)
}

// streamResult is how one stream ended.
type streamResult struct {
	err       error                 // what ended it; nil only with closeEvent
	closed    *websocket.CloseError // the server's `event: close`, if any
	delivered bool                  // at least one message was delivered
	retry     time.Duration         // the last `retry:`, 0 if none
	lastID    string
	hasLastID bool // the stream set the last event ID
}

// readStream reads events from r until it ends, handing them to h. It
// never holds more than maxEventSize bytes of one event (plus the parser's
// line slack and read buffer), whatever r sends. g: what the server
// granted (binary events, short ids).
func readStream(r io.Reader, maxEventSize int, g grants, h streamEvents) (res streamResult) {
	p := sse.NewParser(r, maxEventSize)
	p.OmitEventIDs() // only the last one counts, read below
	var helloID string
	defer func() {
		res.retry, _ = p.Retry()
		id := p.LastEventID()
		if g.shortIDs {
			id = sse.ShortIDClaim(helloID, id)
		}
		if id != "" || res.hasLastID {
			res.lastID, res.hasLastID = id, true
		}
	}()
	for {
		ev, err := p.Next()
		if err != nil {
			if errors.Is(err, sse.ErrTooLarge) {
				err = fmt.Errorf("websocketsse: %w: %w", websocket.ErrMessageTooBig, err)
			}
			res.err = err
			return res
		}
		if ev.HasID {
			res.hasLastID = true
		}
		switch ev.Type {
		case "message", sse.BinaryEvent:
			m, ok := decodeMessage(ev, g.binaryEvents)
			if !ok {
				continue
			}
			if ev.HasID {
				id := p.LastEventIDBytes()
				if i := bytes.IndexByte(id, sse.MarkSep[0]); i >= 0 {
					h.mark(id[i+1:])
				}
			}
			if !h.message(m) {
				res.err = context.Canceled
				return res
			}
			res.delivered = true
		case sse.TokenEvent:
			h.token(string(ev.Data))
		case sse.HelloEvent:
			helloID = p.LastEventID()
			h.hello(ev.Data)
		case "close":
			ce := parseClose(ev.Data)
			res.closed = &ce
			return res
		}
	}
}

// parseClose reads the data of an `event: close`: {"code":..,"reason":..}.
// Anything else is a close without status, as in WebSocket.
func parseClose(data []byte) websocket.CloseError {
	var v struct {
		Code   *int   `json:"code"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(data, &v) != nil || v.Code == nil {
		return websocket.CloseError{Code: websocket.StatusNoStatusRcvd}
	}
	return websocket.CloseError{Code: websocket.StatusCode(*v.Code), Reason: v.Reason}
}

func (c *Conn) token(tok string) { c.setToken(tok) }

func (c *Conn) hello(data []byte) {
	var v sse.Hello
	_ = json.Unmarshal(data, &v)
	// A recovered peer's node died: what it had not acknowledged cannot
	// be known delivered or not, and is dropped rather than sent twice.
	c.sent.hello(v.Resumed && !v.Recovered, v.Received)
	if !v.Resumed {
		clear(c.marks) // a new peer: its topics start afresh
	}
	c.mu.Lock()
	c.resumable = true
	c.resumed = v.Resumed
	c.recovered = v.Recovered
	c.mended = v.Mended
	c.gaps = v.Gaps
	c.mu.Unlock()
}

func (c *Conn) mark(m []byte) { c.marks.AddBytes(m) }

func (c *Conn) message(m message) bool {
	select {
	case c.msgs <- m:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// runStream owns the event stream: it reads resp, and re-opens the stream
// by the reconnect policy until it ends for good, then reports why to
// Read by closing msgs.
func (c *Conn) runStream(resp *http.Response) {
	defer c.wg.Done()
	err := c.streamLoop(resp)
	c.mu.Lock()
	c.setTokenLocked("") // no more uplink: wake writers waiting for a token
	c.mu.Unlock()
	c.streamErr = err
	close(c.streamDone)
	close(c.msgs)
}

func (c *Conn) streamLoop(resp *http.Response) error {
	attempts := 0
	retry := time.Duration(0)
	for {
		res := readStream(resp.Body, c.opts.MaxEventSize, grantsOf(resp.Header), c)
		_ = resp.Body.Close()
		if res.retry > 0 {
			retry = res.retry
		}
		if res.hasLastID {
			c.mu.Lock()
			c.lastID = res.lastID
			c.mu.Unlock()
		}
		switch {
		case res.closed != nil:
			return *res.closed
		case c.ctx.Err() != nil:
			return ErrClosed
		case errors.Is(res.err, websocket.ErrMessageTooBig):
			return res.err
		}
		if res.delivered {
			attempts = 0
		}
		// The peer of that stream is gone: its token is stale.
		c.setToken("")
		lost := res.err
		if lost == nil || errors.Is(lost, io.EOF) {
			lost = errors.New("server ended the stream without event: close")
		}
		var err error
		resp, err = c.reconnect(&attempts, retry, lost)
		if err != nil {
			return err
		}
		c.adopt(resp)
	}
}

// reconnect re-opens the stream, waiting before each attempt. It returns
// the error that ends the Conn when it gives up.
func (c *Conn) reconnect(attempts *int, retry time.Duration, lost error) (*http.Response, error) {
	pol := c.opts.Reconnect
	for {
		*attempts++
		if pol.MaxAttempts < 0 || *attempts > pol.MaxAttempts {
			return nil, fmt.Errorf("websocketsse: stream lost, gave up after %d reconnect attempts: %w", *attempts-1, lost)
		}
		t := time.NewTimer(backoff(*attempts, retry, pol))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		}
		resp, err := c.get(c.ctx)
		switch {
		case err == nil:
			return resp, nil
		case c.ctx.Err() != nil:
			return nil, ErrClosed
		case errors.Is(err, errNoContent):
			return nil, stopped
		case isFatal(err):
			return nil, fmt.Errorf("websocketsse: reconnect refused: %w", err)
		}
		lost = err
		c.setDown(err)
	}
}

// backoff is the wait before reconnect attempt n (from 1): the server's
// retry (else InitialDelay), doubled for each failed attempt up to
// MaxDelay, plus up to half of it at random (within the cap) so that many
// clients dropped at once do not come back at once. It is never below the server's retry,
// as the EventSource rules require.
func backoff(n int, retry time.Duration, pol Reconnect) time.Duration {
	base := retry
	if base <= 0 {
		base = pol.InitialDelay
	}
	d := base
	for i := 1; i < n && d < pol.MaxDelay; i++ {
		d *= 2
	}
	if half := int64(d / 2); half > 0 {
		d += time.Duration(rand.Int64N(half))
	}
	return min(d, max(pol.MaxDelay, base))
}
