package websocket

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"time"

	"github.com/anyws/anyws/internal/connwrite"
)

// batchWriter is the ResponseWriter coder/websocket's Accept sees. It
// hands Accept a batchConn when it hijacks the connection, and it writes
// the handshake's 101 itself, on the hijacked connection.
//
// Routers wrap the server's ResponseWriter, and several hold a status
// back until a body is written: gin until WriteHeaderNow, echo's Gzip
// middleware until it knows whether to compress. A 101 held back that way
// never reaches the client, which then reads frames where it waits for a
// status line. Writing the 101 after the hijack works under any wrapper
// that can hijack, and the wrapped writer never sees a status it would
// write later on a connection it no longer owns.
//
// It keeps the optional interfaces of what it wraps that a handshake can
// meet: Unwrap (http.ResponseController), http.Hijacker, http.Flusher and
// gin's WriteHeaderNow.
type batchWriter struct {
	http.ResponseWriter
	timeout   time.Duration // bounds the write of the 101
	switching bool          // Accept asked for the 101: Hijack writes it
	// hijacked: the connection is no longer net/http's, even when
	// Hijack failed after taking it (the 101 could not be written):
	// coder/websocket then answers with a 500, which must not reach
	// net/http (it logs each such write).
	hijacked bool
	// c is the connection's peerConn, made before the handshake: a
	// successful Hijack sets up its batchConn (conn) and lazyReader in
	// place, so that an idle connection's parts are one allocation.
	c    *peerConn
	conn *batchConn // set by a successful Hijack
	// lazy and br: the reader coder/websocket got (lazyread.go), when
	// Hijack did not keep net/http's
	lazy *lazyReader
	br   *bufio.Reader
}

// WriteHeader holds a 101 back for Hijack and passes any other status
// (a refused handshake) on.
func (w *batchWriter) WriteHeader(code int) {
	if code == http.StatusSwitchingProtocols {
		w.switching = true
		return
	}
	if w.hijacked {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write passes a refused handshake's body on, and nothing once the
// connection was hijacked.
func (w *batchWriter) Write(b []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	return w.ResponseWriter.Write(b)
}

// WriteHeaderNow is gin's: coder/websocket calls it after WriteHeader so
// that gin sends the 101 before the hijack. Hijack sends the 101 here, so
// only another status is passed on.
func (w *batchWriter) WriteHeaderNow() {
	if w.switching {
		return
	}
	if n, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		n.WriteHeaderNow()
	}
}

// Flush flushes the wrapped writer (a refused handshake's body).
func (w *batchWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack takes the connection over and, when Accept asked for a 101,
// writes it with the headers set so far.
func (w *batchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	if w.switching {
		// The head is built in a pooled chunk: a connection's handshake
		// leaves enough garbage already (net/http's 4 KiB reader and
		// writer, which the hijack hands over and nobody returns).
		bp := readChunks.Get().(*[]byte)
		head := bytes.NewBuffer((*bp)[:0])
		head.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		_ = w.Header().WriteSubset(head, noBodyHeaders)
		head.WriteString("\r\n")
		err := connwrite.Write(conn, w.timeout, head.Bytes())
		readChunks.Put(bp)
		if err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}
	w.conn = &w.c.bc
	w.conn.Conn, w.conn.timeout, w.conn.c = conn, w.timeout, w.c
	// net/http's reader (4 KiB) is replaced by a minimal one over a
	// lazyReader (no buffer held while idle). What it read ahead (a
	// client that sent frames right behind its request) moves to the
	// lazyReader's chunk, which it fits: both are 4 KiB.
	w.lazy = &w.c.lazy
	w.lazy.init(conn)
	if n := brw.Reader.Buffered(); n > 0 {
		ahead, _ := brw.Reader.Peek(n)
		if !w.lazy.preload(ahead) {
			// Larger than a chunk (a server with a larger reader):
			// keep net/http's reader.
			w.lazy = nil
			return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, controlBufferSize)), nil
		}
	}
	w.c.lazyRead = true
	// coder/websocket resets this reader onto the connection it returned
	// (the batchConn, which reads through the lazyReader).
	w.br = bufio.NewReaderSize(w.conn, minBufioSize)
	return w.conn, bufio.NewReadWriter(w.br, bufio.NewWriterSize(w.conn, controlBufferSize)), nil
}

// unwrapReader undoes coder/websocket's Accept wrapping of the reader
// it was given (an io.MultiReader of what the reader had buffered, here
// nothing, and the connection), which it would keep for the
// connection's life: the reader reads from the batchConn directly.
func (w *batchWriter) unwrapReader() {
	if w.br != nil && w.br.Buffered() == 0 {
		w.br.Reset(w.conn)
	}
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *batchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noBodyHeaders are left out of the 101, as net/http leaves them out of
// any response without a body.
var noBodyHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

// The interfaces a router's writer may offer that a handshake can meet.
var _ interface {
	http.Hijacker
	http.Flusher
	WriteHeaderNow()
	Unwrap() http.ResponseWriter
} = (*batchWriter)(nil)
