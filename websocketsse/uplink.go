package websocketsse

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// Write sends one message, like websocket.Conn.Write. Messages reach the
// server in the order Write was called: concurrent Writes are serialized.
// Binary messages arrive as binary, byte for byte. A text message must be
// valid UTF-8 (Write refuses it otherwise, as the server would).
//
// How Write reports the server's verdict depends on the uplink (see
// [Uplink]): with one POST per message, Write returns after the server's
// 204, or an [*HTTPError] naming the status and the server's text (404
// unknown or closed token, 413 too large, 400 malformed); with the framed
// streaming POST, Write returns once the frame was handed to the
// transport, and a refusal ends the uplink and fails the Conn: the next
// Write, Read or Close returns it. A Write never reports success for a
// frame written after the uplink had already failed.
//
// While the event stream is reconnecting Write waits (within ctx) for the
// new stream. With a server that resumes peers (anyws with
// Options.ResumeWindow) the reconnected stream is the same peer, and each
// per-message POST is numbered: one that got no answer because the
// connection dropped under it is sent again, and the server delivers it
// once. Otherwise a reconnected stream is a new peer on the server, with
// a new token, and messages go to it. Once a reconnect attempt has failed
// (the server is unreachable, say), Write returns an error wrapping
// [ErrStreamDown] at once instead, without sending, until the stream is
// back: the reconnect policy may take tens of seconds, and a server that
// is gone may never come back. (With a server that resumes peers, Write
// waits instead: what it sends reaches the same peer once the stream is
// back.) Messages written before the drop are
// not sent again; with the framed uplink, the last ones written before
// the client noticed the drop may be lost.
//
// If ctx ends while a frame is half-written on the streaming uplink, the
// Conn fails, as a websocket.Conn does.
func (c *Conn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	switch typ {
	case websocket.MessageText:
		if !utf8.Valid(p) {
			return errors.New("websocketsse: text message is not valid UTF-8; send it as MessageBinary")
		}
	case websocket.MessageBinary:
	default:
		return fmt.Errorf("websocketsse: unknown message type %v", typ)
	}
	select {
	case c.wsem <- struct{}{}:
	case <-c.dead:
		return c.deadErr
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.wsem }()
	if err := c.usable(); err != nil {
		return err
	}
	tok, postURL, h2, err := c.waitToken(ctx)
	if err != nil {
		return err
	}
	if c.opts.Uplink == UplinkStream || (c.opts.Uplink == UplinkAuto && h2) {
		return c.writeFramed(ctx, tok, postURL, typ, p)
	}
	return c.writePerMessage(ctx, tok, postURL, typ, p)
}

func (c *Conn) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deadErr != nil {
		return c.deadErr
	}
	if c.closing {
		return ErrClosed
	}
	return nil
}

// waitToken returns the current stream's token, waiting while the stream
// reconnects. Once an attempt failed it fails fast with ErrStreamDown,
// unless the server resumes peers: then what is written is not lost but
// delivered to the same peer when the stream is back, so it waits (within
// ctx, and until the reconnect policy gives up).
func (c *Conn) waitToken(ctx context.Context) (tok, postURL string, h2 bool, err error) {
	for {
		tok, postURL, h2, changed := c.currentToken()
		if tok != "" {
			return tok, postURL, h2, nil
		}
		if err := c.reconnectError(); err != nil && !c.resumes() {
			return "", "", false, fmt.Errorf("%w: %w", ErrStreamDown, err)
		}
		select {
		case <-changed:
		case <-c.streamDone:
			return "", "", false, fmt.Errorf("websocketsse: cannot write, the stream has ended: %w", c.streamErr)
		case <-c.dead:
			return "", "", false, c.deadErr
		case <-ctx.Done():
			return "", "", false, ctx.Err()
		}
	}
}

// awaitNewToken waits up to grace for the token to change from old to a
// new non-empty one: what a 404 turns into when the stream was dropped
// and is reconnecting.
func (c *Conn) awaitNewToken(ctx context.Context, old string, grace time.Duration) (tok, postURL string, ok bool) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		tok, postURL, _, changed := c.currentToken()
		if tok != "" && tok != old {
			return tok, postURL, true
		}
		select {
		case <-changed:
		case <-t.C:
			return "", "", false
		case <-c.streamDone:
			return "", "", false
		case <-c.ctx.Done():
			return "", "", false
		case <-ctx.Done():
			return "", "", false
		}
	}
}

func (c *Conn) newPost(ctx context.Context, postURL, tok, contentType string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, postURL, body)
	if err != nil {
		return nil, fmt.Errorf("websocketsse: %w", err)
	}
	for k, v := range c.opts.HTTPHeader {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("x-crossws-id", tok)
	req.Header.Set("Content-Type", contentType)
	return req, nil
}

// maxResends bounds how often a numbered POST that got no answer is sent
// again, waiting a little longer each time (up to half a second): about
// a minute in all, while its stream reconnects; a stream that gives up
// ends the wait sooner.
const maxResends = 120

// writePerMessage posts p as one message and waits for the answer. A 404
// caused by a reconnect in progress is retried once, with the new token.
//
// With a server that can resume peers (it said hello), each POST carries
// the message's number (sse.SeqHeader), and a POST that got no answer (the
// connection dropped under it: it may or may not have arrived) is sent
// again with the same number, which the server delivers once.
func (c *Conn) writePerMessage(ctx context.Context, tok, postURL string, typ websocket.MessageType, p []byte) error {
	numbered := c.resumes()
	var seq uint64
	if numbered {
		c.upSeq++ // under wsem
		seq = c.upSeq
		c.numbered.Store(seq)
	}
	for resend := 0; ; resend++ {
		err := c.post(ctx, tok, postURL, typ, p, seq)
		var herr *HTTPError
		var lost *noAnswerError
		switch {
		case errors.As(err, &herr) && herr.StatusCode == http.StatusNotFound:
			if ntok, nurl, ok := c.awaitNewToken(ctx, tok, staleGrace); ok {
				return c.post(ctx, ntok, nurl, typ, p, seq)
			}
		case (errors.As(err, &lost) || (herr != nil && sendAgain(herr.StatusCode))) && seq != 0 && resend < maxResends && ctx.Err() == nil:
			// No answer, or "not delivered" (502, 503: the stream's
			// node is unreachable or busy, as when it died and the
			// stream is being resumed elsewhere), or "delivery unknown"
			// (504): numbered, it is delivered once however often sent.
			if !sleepCtx(ctx, min(time.Duration(resend+1)*10*time.Millisecond, 500*time.Millisecond)) {
				return err
			}
			ntok, nurl, _, terr := c.waitToken(ctx)
			switch {
			case terr == nil:
				tok, postURL = ntok, nurl
			case !errors.Is(terr, ErrStreamDown):
				return err
			}
			continue // the stream is still reconnecting: try again
		}
		return err
	}
}

// sendAgain reports whether a POST answered with status may be sent
// again with its number: anyws's forwarding answers 502 and 503 for "not
// delivered", 504 for "delivery unknown".
func sendAgain(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// noAnswerError is a POST that got no answer: the request may or may not
// have reached the server.
type noAnswerError struct{ err error }

func (e *noAnswerError) Error() string { return e.err.Error() }
func (e *noAnswerError) Unwrap() error { return e.err }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Conn) post(ctx context.Context, tok, postURL string, typ websocket.MessageType, p []byte, seq uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.ctx, cancel)()
	ct := "text/plain; charset=utf-8"
	if typ == websocket.MessageBinary {
		ct = "application/octet-stream"
	}
	req, err := c.newPost(ctx, postURL, tok, ct, bytes.NewReader(p))
	if err != nil {
		return err
	}
	if seq != 0 {
		req.Header.Set(sse.SeqHeader, strconv.FormatUint(seq, 10))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if c.ctx.Err() != nil {
			return ErrClosed
		}
		return &noAnswerError{fmt.Errorf("websocketsse: POST %s: %w", req.URL.Redacted(), err)}
	}
	if resp.StatusCode/100 != 2 {
		return newHTTPError(resp)
	}
	discard(resp.Body)
	return nil
}

// uplink is one framed streaming POST: its body is a pipe the Writes feed
// with one SSE event per message.
type uplink struct {
	token string
	pw    *io.PipeWriter
	done  chan struct{} // closed when the POST has its answer
	err   error         // the answer's error, set before done is closed
	ended atomic.Bool   // the client ended it (Close, or its token went stale)
	frame []byte        // reused encoding buffers, under wsem
	b64   []byte
	// writes counts the frames written into it, for probeUplink.
	writes atomic.Uint64
}

var errUplinkEnded = errors.New("websocketsse: the server ended the uplink")

func (c *Conn) writeFramed(ctx context.Context, tok, postURL string, typ websocket.MessageType, p []byte) error {
	numbered := c.resumes()
	if up := c.up; up != nil {
		select {
		case <-up.done:
			c.up = nil
			if up.err != nil && up.token == tok && !(numbered && lostUplink(up.err)) {
				return up.err
			}
		default:
			if up.token != tok {
				up.end()
				c.up = nil
			}
		}
	}
	if c.up == nil {
		if err := c.reopenUplink(tok, postURL); err != nil {
			return err
		}
	}
	up := c.up
	ev := sse.Event{Data: p}
	if typ == websocket.MessageBinary {
		up.b64 = base64.StdEncoding.AppendEncode(up.b64[:0], p)
		ev = sse.Event{Type: "binary", Data: up.b64}
	}
	if numbered {
		c.upSeq++
		c.numbered.Store(c.upSeq)
		ev.ID, ev.HasID = strconv.FormatUint(c.upSeq, 10), true
	}
	frame, err := sse.AppendEvent(up.frame[:0], ev)
	if err != nil {
		return fmt.Errorf("websocketsse: %w", err)
	}
	if numbered {
		c.sent.keep(c.upSeq, frame)
	}
	stop := context.AfterFunc(ctx, func() { up.pw.CloseWithError(ctx.Err()) })
	_, werr := up.pw.Write(frame)
	if !stop() {
		err := fmt.Errorf("websocketsse: write interrupted, uplink aborted: %w", ctx.Err())
		c.fail(err)
		return err
	}
	up.writes.Add(1)
	if cap(frame) <= 1<<16 { // keep small buffers only
		up.frame = frame[:0]
	}
	if cap(up.b64) > 1<<16 {
		up.b64 = nil
	}
	if werr == nil {
		return nil
	}
	// The uplink ended under this Write: report the server's answer.
	select {
	case <-up.done:
		if numbered && lostUplink(up.err) {
			return nil // kept: written again on the next uplink
		}
		if up.err != nil {
			return up.err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	return fmt.Errorf("websocketsse: message not sent: %w", errUplinkEnded)
}

func (c *Conn) openUplink(tok, postURL string) (*uplink, error) {
	pr, pw := io.Pipe()
	req, err := c.newPost(c.ctx, postURL, tok, "text/event-stream", pr)
	if err != nil {
		return nil, err
	}
	req.ContentLength = -1
	up := &uplink{token: tok, pw: pw, done: make(chan struct{})}
	// Closing the Conn ends the body, or the transport could wait on it
	// forever (HTTP/1.1 waits for the body after an early answer).
	stop := context.AfterFunc(c.ctx, func() { pw.CloseWithError(ErrClosed) })
	c.wg.Add(1)
	go func() {
		defer stop()
		c.runUplink(up, req, pr)
	}()
	if _, _, h2, _ := c.currentToken(); !h2 {
		c.wg.Add(1)
		go c.probeUplink(up)
	}
	return up, nil
}

// runUplink owns one framed POST until its answer. A refusal fails the
// Conn, unless the client ended the uplink itself or the refusal is a 404
// because the stream is reconnecting (its token went stale).
func (c *Conn) runUplink(up *uplink, req *http.Request, pr *io.PipeReader) {
	defer c.wg.Done()
	resp, err := c.client.Do(req)
	if err != nil {
		err = fmt.Errorf("websocketsse: uplink POST %s: %w", req.URL.Redacted(), err)
	} else if resp.StatusCode/100 != 2 {
		err = newHTTPError(resp)
	} else {
		discard(resp.Body)
	}
	up.err = err
	close(up.done)
	if err != nil {
		pr.CloseWithError(err)
	} else {
		pr.CloseWithError(errUplinkEnded)
	}
	if err == nil || up.ended.Load() || c.ctx.Err() != nil {
		return
	}
	if lostUplink(err) && c.resumes() {
		c.wg.Add(1)
		go c.recoverUplink(up)
		return
	}
	var herr *HTTPError
	if errors.As(err, &herr) && herr.StatusCode == http.StatusNotFound && c.goesStale(up.token, staleGrace) {
		return
	}
	c.fail(err)
}

// goesStale reports whether tok stops being the current token within
// grace.
func (c *Conn) goesStale(tok string, grace time.Duration) bool {
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		cur, _, _, changed := c.currentToken()
		if cur != tok {
			return true
		}
		select {
		case <-changed:
		case <-t.C:
			return false
		case <-c.ctx.Done():
			return false
		}
	}
}

// end closes the uplink's body without waiting for the answer.
func (up *uplink) end() {
	up.ended.Store(true)
	_ = up.pw.Close()
}

// finish ends the uplink and waits for its answer or timeout. It returns
// the answer's error.
func (up *uplink) finish(timeout <-chan time.Time) error {
	up.end()
	select {
	case <-up.done:
		return up.err
	case <-timeout:
		return nil
	}
}

// resumes reports whether the server said it resumes this Conn's peer.
func (c *Conn) resumes() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resumable
}
