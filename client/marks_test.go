package client_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/client"
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/pubsub"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// helloTap records the ClientHello of every WebSocket connection the
// client opens, as it goes on the wire: it wraps the connections its
// HTTPClient dials and decodes the first frame written after the
// handshake's request (the client's frames are masked).
type helloTap struct {
	hellos chan sse.ClientHello
	tr     *http.Transport
}

func newHelloTap(t *testing.T) *helloTap {
	tap := &helloTap{hellos: make(chan sse.ClientHello, 8)}
	var d net.Dialer
	tap.tr = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tapConn{Conn: c, tap: tap}, nil
	}}
	t.Cleanup(tap.tr.CloseIdleConnections)
	return tap
}

func (tap *helloTap) client() *http.Client { return &http.Client{Transport: tap.tr} }

// next waits for the next connection's ClientHello.
func (tap *helloTap) next(t *testing.T, what string) sse.ClientHello {
	t.Helper()
	select {
	case h := <-tap.hellos:
		return h
	case <-time.After(wait):
		t.Fatalf("waiting for the ClientHello of %s", what)
		return sse.ClientHello{}
	}
}

type tapConn struct {
	net.Conn
	tap  *helloTap
	mu   sync.Mutex
	out  []byte
	done bool
}

func (c *tapConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.done {
		c.out = append(c.out, p...)
		if h, ok := firstFrame(c.out); ok {
			c.done = true
			var ch sse.ClientHello
			if json.Unmarshal(h, &ch) != nil {
				ch.Resume = "not a ClientHello: " + string(h)
			}
			c.tap.hellos <- ch
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// firstFrame returns the unmasked payload of the first frame after an
// HTTP request in b, once b holds all of it.
func firstFrame(b []byte) ([]byte, bool) {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, false
	}
	f := b[i+4:]
	if len(f) < 2 {
		return nil, false
	}
	n, h := uint64(f[1]&0x7f), 2
	switch n {
	case 126:
		if len(f) < 4 {
			return nil, false
		}
		n, h = uint64(binary.BigEndian.Uint16(f[2:])), 4
	case 127:
		if len(f) < 10 {
			return nil, false
		}
		n, h = binary.BigEndian.Uint64(f[2:]), 10
	}
	if uint64(len(f)) < uint64(h)+4+n {
		return nil, false
	}
	key, p := f[h:h+4], append([]byte(nil), f[h+4:h+4+int(n)]...)
	for i := range p {
		p[i] ^= key[i%4]
	}
	return p, true
}

// serveMarks serves, behind a cutting proxy, a Hub whose broker keeps
// history and peer records (so its clients get marks). Every peer
// subscribes to "t" and "u" in Open (reported on opened) and echoes
// what it gets as a direct message.
func serveMarks(t *testing.T) (string, *anyws.Hub, *faultproxy.Proxy, chan struct{}) {
	t.Helper()
	opened := make(chan struct{}, 8)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("t")
			p.Subscribe("u")
			opened <- struct{}{}
		},
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, &anyws.Options{Broker: pubsub.NewMemoryHistory(nil).Broker(), NodeID: "a", ResumeWindow: time.Minute})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() })
	return "ws://" + proxy.Addr() + "/", hub, proxy, opened
}

func waitOpen(t *testing.T, opened chan struct{}) {
	t.Helper()
	select {
	case <-opened:
	case <-time.After(wait):
		t.Fatal("waiting for the peer's Open hook (its subscriptions)")
	}
}

func readOne(ctx context.Context, t *testing.T, c *client.Conn, what string) (websocket.MessageType, []byte) {
	t.Helper()
	typ, data, err := c.Read(ctx)
	require.NoError(t, err, "waiting for %s", what)
	return typ, data
}

// TestMarksStripped: against a server with marks, the client asks for
// them with an empty list (it has none yet, and says the list is
// complete), and Read returns every message exactly as it was sent,
// text and binary, published or direct, newlines and all: the marks
// are the client's.
func TestMarksStripped(t *testing.T) {
	t.Parallel()
	url, hub, _, opened := serveMarks(t)
	tap, ctx, c := dialTapped(t, url)
	h := tap.next(t, "the first connection")
	require.Empty(t, h.Resume)
	require.NotNil(t, h.Marks, "revision 2 sends its marks even when it has none")
	require.Empty(t, *h.Marks)
	waitOpen(t, opened)

	for _, m := range []anyws.Message{
		anyws.Text("plain"), anyws.Text(""), anyws.Text("two\nlines\n"),
		anyws.Binary([]byte{0, '\n', 0xff}), anyws.Binary(nil),
		anyws.Binary(bytes.Repeat([]byte{'\n'}, 20000)), // under the client's default read limit
	} {
		want := websocket.MessageText
		if m.IsBinary() {
			want = websocket.MessageBinary
		}
		_, err := hub.PublishWait(ctx, "t", m)
		require.NoError(t, err)
		typ, got := readOne(ctx, t, c, "a publish")
		require.Equal(t, want, typ)
		require.True(t, bytes.Equal(m.Bytes(), got), "published %q…, read %q…", m.Bytes()[:min(m.Len(), 20)], got[:min(len(got), 20)])

		require.NoError(t, c.Write(ctx, want, m.Bytes()))
		typ, got = readOne(ctx, t, c, "the echo (a direct message)")
		require.Equal(t, want, typ)
		require.True(t, bytes.Equal(m.Bytes(), got), "echoed %q…, read %q…", m.Bytes()[:min(m.Len(), 20)], got[:min(len(got), 20)])
	}
	require.Equal(t, client.ResumeStatus{}, c.ResumeStatus())
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// TestMarksResume: after a cut, the client resumes its peer claiming
// with the last mark it read of each topic (what would let another node
// rebuild the peer had this one died), and gets what was published
// meanwhile, once, stripped.
func TestMarksResume(t *testing.T) {
	t.Parallel()
	url, hub, proxy, opened := serveMarks(t)
	tap, ctx, c := dialTapped(t, url)
	tap.next(t, "the first connection")
	waitOpen(t, opened)

	var last = map[string]string{}
	for _, p := range []struct{ topic, data string }{{"t", "a"}, {"u", "b"}, {"t", "c"}} {
		pos, err := hub.PublishWait(ctx, p.topic, p.data)
		require.NoError(t, err)
		last[p.topic] = sse.Mark(p.topic, pos.Epoch, pos.Offset)
		_, got := readOne(ctx, t, c, "publish "+p.data)
		require.Equal(t, p.data, string(got))
	}
	require.Equal(t, 1, proxy.Cut())
	_, err := hub.PublishWait(ctx, "u", "d")
	require.NoError(t, err)
	_, got := readOne(ctx, t, c, "the publish made during the cut")
	require.Equal(t, "d", string(got))

	h := tap.next(t, "the reconnect")
	require.True(t, strings.HasSuffix(h.Resume, ":3"), "claim %q: three messages read before the cut", h.Resume)
	require.NotNil(t, h.Marks)
	require.ElementsMatch(t, []string{last["t"], last["u"]}, *h.Marks, "the last mark of each topic")
	require.Equal(t, client.ResumeStatus{Resumes: 1}, c.ResumeStatus())
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// fakeServer plays an anyws server by hand: each connection's handler
// gets the ClientHello and the connection. Handlers have returned when
// the test ends.
func fakeServer(t *testing.T, handlers ...func(h sse.ClientHello, c *websocket.Conn)) string {
	t.Helper()
	var n atomic.Int32
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(handlers) || r.URL.Query().Get(sse.ClientParam) != sse.ClientRevisionMarks {
			http.Error(w, "unexpected connection", http.StatusBadRequest)
			return
		}
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var h sse.ClientHello
		_ = json.Unmarshal(data, &h)
		handlers[i](h, c)
	}))
	t.Cleanup(wg.Wait)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

func sendJSON(c *websocket.Conn, v any) error {
	b, _ := json.Marshal(v)
	return send(c, websocket.MessageText, string(b))
}

func send(c *websocket.Conn, typ websocket.MessageType, s string) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return c.Write(ctx, typ, []byte(s))
}

func recvText(c *websocket.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.Read(ctx)
	return string(data), err
}

// TestMarksRecovered: when the server says it recovered the peer (its
// node died; Hello.Recovered), the client does not send again the
// messages the server did not acknowledge (the dead node may have
// delivered them: at most once), numbers on from Hello.Received, and
// counts them lost in its ResumeStatus. The server's side is played by
// hand, as a recovery needs a node to die.
func TestMarksRecovered(t *testing.T) {
	t.Parallel()
	m1 := sse.Mark("t", "epoch", 5)
	firstUp := make(chan string, 1)
	hellos := make(chan sse.ClientHello, 2)
	url := fakeServer(t,
		func(h sse.ClientHello, c *websocket.Conn) {
			hellos <- h
			if sendJSON(c, sse.Hello{ID: "k:0", Marks: true}) != nil || send(c, websocket.MessageText, m1+"\nx") != nil {
				return
			}
			for range 2 { // w1 and w2 arrive, unacknowledged
				if _, err := recvText(c); err != nil {
					return
				}
			}
			// The node dies: no close frame.
		},
		func(h sse.ClientHello, c *websocket.Conn) {
			hellos <- h
			if sendJSON(c, sse.Hello{ID: "k:1", Resumed: true, Recovered: true, Received: 0, Marks: true}) != nil ||
				send(c, websocket.MessageBinary, "\ndirect") != nil {
				return
			}
			s, err := recvText(c)
			if err != nil {
				s = "read: " + err.Error()
			}
			firstUp <- s
			_, _ = recvText(c) // the client's close
		},
	)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, Reconnect: fastReconnect})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, sse.ClientHello{Marks: &[]string{}}, recv(t, hellos, "the first ClientHello"))
	_, got := readOne(ctx, t, c, "the first message")
	require.Equal(t, "x", string(got))
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("w1")))
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("w2")))

	typ, got := readOne(ctx, t, c, "the message after the recovery")
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, "direct", string(got))
	h := recv(t, hellos, "the ClientHello of the reconnect")
	require.Equal(t, "k:1", h.Resume)
	require.Equal(t, &[]string{m1}, h.Marks)
	require.Equal(t, client.ResumeStatus{Resumes: 1, Recovered: 1, Lost: 2}, c.ResumeStatus())

	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("w3")))
	require.Equal(t, "w3", recv(t, firstUp, "the first client message after the recovery"), "w1 and w2 must not be sent again")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// TestMarksProtocolError: a message without its mark line, after a
// Hello that announced marks, ends the Conn with a protocol error (1002
// to the server) rather than handing the application a guess.
func TestMarksProtocolError(t *testing.T) {
	t.Parallel()
	closed := make(chan websocket.StatusCode, 1)
	url := fakeServer(t, func(h sse.ClientHello, c *websocket.Conn) {
		if sendJSON(c, sse.Hello{ID: "k:0", Marks: true}) != nil || send(c, websocket.MessageText, "no mark line") != nil {
			return
		}
		_, err := recvText(c)
		closed <- websocket.CloseStatus(err)
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, Reconnect: fastReconnect})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "mark line")
	require.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	require.Equal(t, websocket.StatusProtocolError, recv(t, closed, "the server to see the client's close"))
	_, _, err = c.Read(ctx)
	require.Error(t, err, "the Conn ended")
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}

// dialTapped dials url over WebSocket through a helloTap; the Conn is
// closed and the context ended at cleanup.
func dialTapped(t *testing.T, url string) (*helloTap, context.Context, *client.Conn) {
	t.Helper()
	tap := newHelloTap(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, HTTPClient: tap.client(), Reconnect: fastReconnect})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	return tap, ctx, c
}
