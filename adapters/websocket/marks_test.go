package websocket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// serveMarks serves a Hub whose broker keeps history and peer records
// (the memory bus), so its sessions have marks (Session.Marks), or, with
// store false, a Hub without a broker. Every peer subscribes to "t" in
// Open, which reports on opened, and echoes what it gets as a direct
// message.
func serveMarks(t *testing.T, store bool) (string, *anyws.Hub, chan struct{}) {
	t.Helper()
	opened := make(chan struct{}, 8)
	var opts *anyws.Options
	if store {
		opts = &anyws.Options{Broker: pubsub.NewMemoryHistory(nil).Broker(), NodeID: "a"}
	}
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("t")
			opened <- struct{}{}
		},
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, opts)
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http"), hub, opened
}

// markedConn dials with anyws=<rev>, sends clientHello and returns the
// server's Hello, once the peer's Open hook has subscribed it.
func markedConn(t *testing.T, url, rev, clientHello string, opts *websocket.DialOptions, opened chan struct{}) (*websocket.Conn, sse.Hello) {
	t.Helper()
	c, _ := dial(t, url+"/?anyws="+rev, opts)
	c.SetReadLimit(-1)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(clientHello)))
	typ, data, err := c.Read(ctx)
	require.NoError(t, err, "waiting for the server's hello (revision %s)", rev)
	require.Equal(t, websocket.MessageText, typ)
	var h sse.Hello
	require.NoError(t, json.Unmarshal(data, &h), "hello %s", data)
	select {
	case <-opened:
	case <-time.After(wait):
		t.Fatalf("waiting for the Open hook of the revision %s peer", rev)
	}
	return c, h
}

// readMessage reads one message, saying what was awaited on failure.
func readMsg(t *testing.T, c *websocket.Conn, what string) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, data, err := c.Read(ctx)
	require.NoError(t, err, "waiting for %s", what)
	return typ, data
}

// TestMarksRevision2: on a Hub with marks, a revision 2 client is told
// so in the Hello and gets every topic message prefixed with its mark
// (the tag of topic and epoch, the publish's offset) and a newline, and
// every direct message with just the newline, in the same message, text
// as text and binary as binary, at every frame-length boundary the
// prefix can push a payload over, compressed or not; a revision 1
// client of the same Hub gets the same publishes bare (the payloads are
// shared by both peers' queues).
func TestMarksRevision2(t *testing.T) {
	t.Parallel()
	for _, compress := range []bool{false, true} {
		name := "plain"
		var dopts *websocket.DialOptions
		if compress {
			name = "deflate"
			dopts = &websocket.DialOptions{CompressionMode: websocket.CompressionNoContextTakeover}
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, hub, opened := serveMarks(t, true)
			c2, h2 := markedConn(t, url, sse.ClientRevisionMarks, `{"marks":[]}`, dopts, opened)
			require.True(t, h2.Marks, "revision 2 on a Hub with peer records: hello %+v", h2)
			require.NotEmpty(t, h2.ID)
			require.False(t, h2.Recovered)
			c1, h1 := markedConn(t, url, sse.ClientRevision, `{}`, dopts, opened)
			require.False(t, h1.Marks, "a revision 1 client is never told of marks: hello %+v", h1)

			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			// 120 and 510 bytes: the prefix pushes them over the 7-bit
			// length and over the compression threshold.
			for i, n := range []int{0, 5, 120, 510, 70000} {
				for _, bin := range []bool{false, true} {
					data := bytes.Repeat([]byte{'a' + byte(i)}, n)
					var m any = string(data)
					want := websocket.MessageText
					if bin {
						if n > 0 {
							data[0] = 0xff // not UTF-8: binary stays binary
						}
						m, want = anyws.Binary(data), websocket.MessageBinary
					}
					pos, err := hub.PublishWait(ctx, "t", m)
					require.NoError(t, err)
					mark := sse.Mark("t", pos.Epoch, pos.Offset)

					typ, got := readMsg(t, c2, "a marked publish")
					require.Equal(t, want, typ, "%d bytes", n)
					line, rest, ok := bytes.Cut(got, []byte("\n"))
					require.True(t, ok, "a marked message without its mark line: %q", got[:min(len(got), 40)])
					require.Equal(t, mark, string(line))
					tag, off, ok := sse.SplitMark(string(line))
					require.True(t, ok)
					require.Equal(t, sse.Tag("t", pos.Epoch), tag)
					require.Equal(t, pos.Offset, off)
					require.True(t, bytes.Equal(data, rest), "%d bytes: the message after its mark differs", n)

					typ, got = readMsg(t, c1, "the same publish, bare")
					require.Equal(t, want, typ)
					require.True(t, bytes.Equal(data, got), "%d bytes: a revision 1 client got %q…", n, got[:min(len(got), 40)])
				}
			}

			// Direct messages (the echo) carry an empty mark.
			for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
				require.NoError(t, c2.Write(ctx, typ, []byte("echo")))
				gt, got := readMsg(t, c2, "the echo, a direct message")
				require.Equal(t, typ, gt)
				require.Equal(t, "\necho", string(got))
				require.NoError(t, c1.Write(ctx, typ, []byte("echo")))
				gt, got = readMsg(t, c1, "the echo to the revision 1 client")
				require.Equal(t, typ, gt)
				require.Equal(t, "echo", string(got))
			}
			require.NoError(t, c2.Close(websocket.StatusNormalClosure, ""))
			require.NoError(t, c1.Close(websocket.StatusNormalClosure, ""))
		})
	}
}

// TestMarksOffWithoutStore: a Hub whose broker keeps no peer records
// (here: none) cannot rebuild a peer from marks, so even a revision 2
// client gets a Hello without "marks" and bare messages, while its peer
// is resumable as in revision 1.
func TestMarksOffWithoutStore(t *testing.T) {
	t.Parallel()
	url, hub, opened := serveMarks(t, false)
	c, h := markedConn(t, url, sse.ClientRevisionMarks, `{"marks":[]}`, nil, opened)
	require.False(t, h.Marks, "hello %+v", h)
	require.NotEmpty(t, h.ID, "recovery is on: the peer is resumable")
	require.NoError(t, hub.Publish("t", "x"))
	_, got := readMsg(t, c, "a publish")
	require.Equal(t, "x", string(got))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("echo")))
	_, got = readMsg(t, c, "the echo")
	require.Equal(t, "echo", string(got))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// TestMarksResumeRevision2: a revision 2 client that resumes its peer
// (with its marks in the ClientHello) gets what it missed marked, and
// the resumed Hello says marks again.
func TestMarksResumeRevision2(t *testing.T) {
	t.Parallel()
	url, hub, opened := serveMarks(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, h := markedConn(t, url, sse.ClientRevisionMarks, `{"marks":[]}`, nil, opened)
	require.True(t, h.Marks)
	key, ok := strings.CutSuffix(h.ID, ":0")
	require.True(t, ok, "hello id %q", h.ID)
	pos1, err := hub.PublishWait(ctx, "t", "one")
	require.NoError(t, err)
	_, got := readMsg(t, c, "the first publish")
	mark1 := sse.Mark("t", pos1.Epoch, pos1.Offset)
	require.Equal(t, mark1+"\none", string(got))
	_ = c.CloseNow() // a drop after one message

	require.Eventually(t, func() bool { return len(hub.Peers()) == 1 }, wait, time.Millisecond, "waiting for the dropped peer to be kept")
	pos2, err := hub.PublishWait(ctx, "t", "two")
	require.NoError(t, err)
	c2, _ := dial(t, url+"/?anyws=2", nil)
	require.NoError(t, c2.Write(ctx, websocket.MessageText, []byte(`{"resume":"`+key+`:1","marks":["`+mark1+`"]}`)))
	_, data := readMsg(t, c2, "the resumed hello")
	var h2 sse.Hello
	require.NoError(t, json.Unmarshal(data, &h2), "hello %s", data)
	require.True(t, h2.Resumed, "hello %+v", h2)
	require.True(t, h2.Marks, "hello %+v", h2)
	require.False(t, h2.Recovered, "the node was alive: a resume, not a recovery")
	_, got = readMsg(t, c2, "the publish missed during the drop")
	require.Equal(t, sse.Mark("t", pos2.Epoch, pos2.Offset)+"\ntwo", string(got))
	require.NoError(t, c2.Close(websocket.StatusNormalClosure, ""))
}

// TestClaimAgainClosesBeforeHello: a claim the Hub cannot serve now
// (anyws.ErrClaimAgain) gets a close with 1013 (try again later) before
// any Hello: anyws's clients reconnect and claim again.
func TestClaimAgainClosesBeforeHello(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemoryHistory(nil)
	var failing atomic.Bool
	var urls []string
	opened := make(chan struct{}, 4)
	for i, b := range []pubsub.Broker{bus.Broker(), brokertest.HistoryFails{StoreBroker: bus.Broker().(brokertest.StoreBroker), Failing: &failing}} {
		hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) {
			p.Subscribe("t")
			opened <- struct{}{}
		}}, &anyws.Options{Broker: b, NodeID: fmt.Sprint("n", i)})
		srv := httptest.NewServer(wsadapter.New(hub, nil))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { _ = hub.Close() })
		urls = append(urls, "ws"+strings.TrimPrefix(srv.URL, "http"))
	}
	c0, h := markedConn(t, urls[0], "2", `{"marks":[]}`, nil, opened)
	_ = c0.CloseNow() // dropped: the peer waits on n0

	failing.Store(true)
	c, _ := dial(t, urls[1]+"/?anyws=2", nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"resume":"`+h.ID+`","marks":[]}`)))
	_, _, err := c.Read(ctx)
	require.Equal(t, websocket.StatusTryAgainLater, websocket.CloseStatus(err), "closed with 1013 before the Hello: %v", err)
	require.Empty(t, opened, "no new peer")
}
