package sse_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestStreamH1StrayBytes: bytes a client sends after its GET (a stray
// CRLF, a pipelined request) are ignored; the stream goes on, and a
// server close ends the chunked response cleanly.
func TestStreamH1StrayBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1}})
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(wait)))
	_, err = io.WriteString(conn, "GET /room HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n\r\nGET / HTTP/1.1\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	require.True(t, resp.Close)
	p := e.rec.peer(t)

	_, err = io.WriteString(conn, "more nonsense")
	require.NoError(t, err)
	require.NoError(t, p.Send("hello"))
	require.NoError(t, p.Close(4000, "bye"))
	body, err := io.ReadAll(resp.Body) // a clean end: the last chunk came
	require.NoError(t, err)
	require.Equal(t, "event: message\ndata: hello\n\nevent: close\ndata: {\"code\":4000,\"reason\":\"bye\"}\n\n", string(body))
	require.Equal(t, anyws.CloseInfo{Code: 4000, Reason: "bye"}, e.rec.close(t).info)
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the connection closes after the stream")
}

// TestStreamH1DroppedConnection: a connection that drops ends the peer
// with 1001 at once.
func TestStreamH1DroppedConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(wait)))
	_, err = io.WriteString(conn, "GET /room HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := e.rec.peer(t)
	require.NoError(t, conn.Close())
	ce := e.rec.close(t)
	require.Same(t, p, ce.p)
	require.Equal(t, anyws.StatusGoingAway, ce.info.Code)
	require.Equal(t, "client went away", ce.info.Reason)
}

// noHijack hides the server's Hijacker, as some middlewares do.
type noHijack struct{ w http.ResponseWriter }

func (n noHijack) Header() http.Header         { return n.w.Header() }
func (n noHijack) Write(b []byte) (int, error) { return n.w.Write(b) }
func (n noHijack) WriteHeader(code int)        { n.w.WriteHeader(code) }
func (n noHijack) Flush()                      { n.w.(http.Flusher).Flush() }

// TestStreamH1NoHijack: an HTTP/1.1 stream whose writer cannot be
// hijacked is served through net/http instead, and works the same.
func TestStreamH1NoHijack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1, Bidirectional: true}})
	h := adapter.New(e.hub, &adapter.Options{Retry: -1, Bidirectional: true})
	srv, hc := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(noHijack{w}, r)
	}), h1)
	url := srv.URL + "/room"
	c := open(t, hc, url)
	require.Equal(t, "keep-alive", c.resp.Header.Get("Connection"))
	require.False(t, c.resp.Close)
	tok := c.token(t)
	p := e.rec.peer(t)
	status, _ := post(t, hc, url, tok, "text/plain", []byte("up"))
	require.Equal(t, http.StatusNoContent, status)
	require.Equal(t, "up", e.rec.msg(t).Text())
	require.NoError(t, p.Send("down"))
	require.Equal(t, "down", c.message(t))
	require.NoError(t, p.Close(4000, "bye"))
	require.True(t, strings.HasPrefix(string(c.next(t).Data), `{"code":4000`))
	c.ended(t)
}
