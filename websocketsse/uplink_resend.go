package websocketsse

import (
	"errors"
	"sync/atomic"
	"time"
)

// The framed uplink across a drop. With a server that resumes peers,
// each framed event carries its number in its id field, and the Conn
// keeps what it wrote (up to resendBytes). When the uplink POST ends
// without an answer (the connection dropped under it), the Conn opens a
// new one at once and writes again what it kept after the server's
// last received number (the hello of a resumed stream says it; until
// then everything kept): the server delivers each number once, so
// nothing is lost and nothing doubled. Over HTTP/1.1 an idle uplink is
// probed, so that its drop is noticed too (probeUplink). A new uplink
// replaces the old one on the server even if the server has not seen
// the old one end.

// resendBytes bounds what is kept of the framed events written: only
// what was in flight when a connection dropped can be missing (TCP
// delivers in order), and a hello acknowledges what arrived.
const resendBytes = 1 << 20

// keptFrame is one encoded framed event, with its number and the peer
// it was written to (frames.peer).
type keptFrame struct {
	seq   uint64
	peer  uint64
	frame []byte
}

// frames is what is kept of the framed events written, under wsem.
type frames struct {
	kept     []keptFrame // kept[head:] are kept; the front is dropped lazily
	head     int
	chunk    []byte        // small frames are copied into shared chunks
	n        int           // their bytes
	received atomic.Uint64 // the server's last received number, from its hello
	// peer counts the peers the Conn had: a hello that did not resume
	// (a new peer) bumps it, and what was kept for the earlier peer is
	// not sent to the new one (it is lost: Resumed says so).
	peer atomic.Uint64
}

// hello records a server's hello.
func (f *frames) hello(resumed bool, received uint64) {
	if !resumed {
		f.peer.Add(1)
	}
	f.received.Store(received)
}

// keep records frame (copied), dropping the oldest past resendBytes.
func (f *frames) keep(seq uint64, frame []byte) {
	f.kept = append(f.kept, keptFrame{seq, f.peer.Load(), f.copyFrame(frame)})
	f.n += len(frame)
	for f.n > resendBytes && f.head < len(f.kept)-1 {
		f.n -= len(f.kept[f.head].frame)
		f.kept[f.head] = keptFrame{}
		f.head++
	}
	f.compact()
}

// pending returns what the server may not have received, dropping what
// its hello acknowledged.
func (f *frames) pending() []keptFrame {
	rec, peer := f.received.Load(), f.peer.Load()
	for f.head < len(f.kept) && (f.kept[f.head].seq <= rec || f.kept[f.head].peer != peer) {
		f.n -= len(f.kept[f.head].frame)
		f.kept[f.head] = keptFrame{}
		f.head++
	}
	f.compact()
	return f.kept[f.head:]
}

// copyFrame copies b, a small frame into the current chunk (one
// allocation per 64 KiB of small frames instead of one per frame; a
// chunk is freed once no kept frame is in it).
func (f *frames) copyFrame(b []byte) []byte {
	const chunkSize = 64 << 10
	if len(b) > chunkSize/16 {
		return append([]byte(nil), b...)
	}
	if cap(f.chunk)-len(f.chunk) < len(b) {
		f.chunk = make([]byte, 0, chunkSize)
	}
	start := len(f.chunk)
	f.chunk = append(f.chunk, b...)
	return f.chunk[start:len(f.chunk):len(f.chunk)]
}

// compact moves the kept frames to the front once the dropped ones are
// most of the slice: amortized, so keeping a frame costs O(1).
func (f *frames) compact() {
	if f.head > 64 && f.head > len(f.kept)/2 {
		n := copy(f.kept, f.kept[f.head:])
		clear(f.kept[n:])
		f.kept = f.kept[:n]
		f.head = 0
	}
}

// lostUplink reports whether err ended an uplink without the server's
// answer (a dropped connection), which a resumable Conn recovers from.
func lostUplink(err error) bool {
	var herr *HTTPError
	return err != nil && !errors.As(err, &herr) && !errors.Is(err, ErrClosed)
}

// recoverUplink replaces an uplink that ended without an answer, unless
// a Write did already, and writes again what the server may not have.
func (c *Conn) recoverUplink(up *uplink) {
	defer c.wg.Done()
	select {
	case c.wsem <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	defer func() { <-c.wsem }()
	if c.up != up {
		return
	}
	c.up = nil
	tok, postURL, _, err := c.waitToken(c.ctx)
	if err != nil {
		return // the Conn is closing or its stream is gone: Read says why
	}
	if err := c.reopenUplink(tok, postURL); err != nil {
		c.fail(err)
	}
}

// reopenUplink opens a new framed uplink and writes into it what the
// server may not have received. Under wsem.
func (c *Conn) reopenUplink(tok, postURL string) error {
	up, err := c.openUplink(tok, postURL)
	if err != nil {
		return err
	}
	c.up = up
	for _, k := range c.sent.pending() {
		if _, err := up.pw.Write(k.frame); err != nil {
			return nil // this one broke too: its own recovery goes on
		}
		up.writes.Add(1)
	}
	return nil
}

// An uplink whose connection dropped while the Conn had nothing more to
// write must be noticed all the same: over HTTP/1.1, Go's transport
// reports a dropped connection under a streaming POST only once the
// request body's next Read returns (the POST's answer waits for the
// transport's write loop to end, and that loop waits in the body's
// Read). Without another Write, the POST would wait forever, and the
// frames in flight when the connection dropped (the last messages of a
// burst) would never be written again. So while an idle uplink holds
// frames the server may not have, probeUplink writes a comment line into
// it (which the server ignores): on a dead connection that write fails,
// the POST ends without an answer, and recoverUplink writes the frames
// again on a new uplink. The first probe comes probeMin after the last
// write, the next ones twice as late each time, up to probeMax. (Not
// sooner: a probe written after the server answered a rejected message
// and closed would make the client resend it instead of reporting the
// rejection.) Over
// HTTP/2 there is no probe: the transport closes the body of a stream
// whose connection died, and the POST ends by itself.
const (
	probeMin = time.Second
	probeMax = 15 * time.Second
)

// probeFrame is an SSE comment line: nothing to the server's parser.
var probeFrame = []byte(":\n")

// probeUplink probes up while it is idle (see probeMin), until it ends
// or is no longer the Conn's uplink.
func (c *Conn) probeUplink(up *uplink) {
	defer c.wg.Done()
	d := probeMin
	t := time.NewTimer(d)
	defer t.Stop()
	seen := up.writes.Load()
	for {
		select {
		case <-t.C:
		case <-up.done:
			return
		case <-c.ctx.Done():
			return
		}
		if n := up.writes.Load(); n != seen {
			seen, d = n, probeMin // written meanwhile: probe once idle again
		} else {
			if !c.probe(up) {
				return
			}
			d = min(2*d, probeMax)
		}
		t.Reset(d)
	}
}

// probe writes probeFrame into up if up is still the Conn's uplink and
// the server may not have all its frames. It reports whether up is
// still the Conn's uplink.
func (c *Conn) probe(up *uplink) bool {
	select {
	case c.wsem <- struct{}{}:
	case <-up.done:
		return false
	case <-c.ctx.Done():
		return false
	}
	defer func() { <-c.wsem }()
	if c.up != up {
		return false
	}
	if c.resumes() && len(c.sent.pending()) > 0 {
		// An error means the uplink ended: runUplink recovers it.
		_, _ = up.pw.Write(probeFrame)
	}
	return true
}
