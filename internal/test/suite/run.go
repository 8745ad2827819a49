package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// wait bounds every wait of the suite. It is generous: a slow shared CI
// machine under -race must not fail a correct transport.
const wait = 20 * time.Second

// Run runs the whole suite over tr.
func Run(t *testing.T, tr Transport) {
	tests := []struct {
		name   string
		fn     func(*testing.T, Transport)
		twoWay bool
		binary bool
	}{
		{"OpenFirst", testOpenFirst, false, false},
		{"EchoInOrder", testEchoInOrder, true, false},
		{"Binary", testBinary, true, true},
		{"ClientClose", testClientClose, false, false},
		{"ServerClose", testServerClose, false, false},
		{"PublishToOthers", testPublishToOthers, true, false},
		{"HubPublishAndNamespaces", testHubPublish, false, false},
		{"PeersOrder", testPeersOrder, false, false},
		{"Drain", testDrain, false, false},
		{"PanicInHook", testPanicInHook, true, false},
		{"SlowConsumer", testSlowConsumer, false, false},
		{"Shutdown", testShutdown, false, false},
		{"HookWaitsOnContext", testHookWaitsOnContext, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.twoWay && tr.OneWay {
				t.Skip("needs client messages; this transport is one-way")
			}
			if tc.binary && tr.TextUplink {
				t.Skip("needs binary client messages; this transport's uplink is text only")
			}
			tc.fn(t, tr)
		})
	}
}

// env is one hub served over tr, with its recorder.
type env struct {
	t   *testing.T
	tr  Transport
	hub *anyws.Hub
	rec *recorder
	url string
}

func newEnv(t *testing.T, tr Transport, opts *anyws.Options, setup func(*recorder)) *env {
	rec := newRecorder(t)
	if setup != nil {
		setup(rec)
	}
	hub := anyws.New(rec.hooks(), opts)
	url := tr.Serve(t, hub)
	// Cleanups run last-in first-out: the hub closes its peers before the
	// test server waits for its requests to end.
	t.Cleanup(func() { _ = hub.Close() })
	return &env{t: t, tr: tr, hub: hub, rec: rec, url: url}
}

func (e *env) dial() Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := e.tr.Dial(ctx, e.t, e.url)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = c.CloseNow() })
	if e.tr.SyncWrites {
		c = &syncClient{Client: c, rec: e.rec}
	}
	return c
}

// syncClient waits, after each write, until the hub has delivered one
// more message (see Transport.SyncWrites).
type syncClient struct {
	Client
	rec *recorder
}

func (c *syncClient) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	before := c.rec.delivered.Load()
	if err := c.Client.Write(ctx, typ, p); err != nil {
		return err
	}
	for c.rec.delivered.Load() == before {
		select {
		case <-ctx.Done():
			return fmt.Errorf("suite: message %q was never delivered: %w", p, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

func read(t *testing.T, c Client) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, b, err := c.Read(ctx)
	require.NoError(t, err)
	return typ, b
}

func readText(t *testing.T, c Client) string {
	t.Helper()
	typ, b := read(t, c)
	require.Equal(t, websocket.MessageText, typ, "message %q", b)
	return string(b)
}

func write(t *testing.T, c Client, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(s)))
}

// waitClosed waits for the Close hook of n peers and returns them.
func (e *env) waitClosed(n int) []*anyws.Peer {
	e.t.Helper()
	var out []*anyws.Peer
	timeout := time.After(wait)
	for len(out) < n {
		select {
		case p := <-e.rec.closed:
			out = append(out, p)
		case <-timeout:
			e.t.Fatalf("%d of %d Close hooks ran", len(out), n)
		}
	}
	return out
}

// welcome makes every peer's first message "welcome <id>" and subscribes it
// to "chat".
func welcome(r *recorder) {
	r.onOpen = func(p *anyws.Peer) {
		_ = p.Send("welcome " + p.ID())
		p.Subscribe("chat")
	}
}

func testOpenFirst(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, func(r *recorder) {
		r.onOpen = func(p *anyws.Peer) {
			_ = p.Send("first")
			_ = p.Send("second")
		}
	})
	c := e.dial()
	require.Equal(t, "first", readText(t, c))
	require.Equal(t, "second", readText(t, c))
}

func testEchoInOrder(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, func(r *recorder) {
		welcome(r)
		r.onMessage = func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }
	})
	c := e.dial()
	readText(t, c)
	const n = 300
	done := make(chan error, 1)
	go func() {
		// Each write has its own bound: a transport that syncs every
		// write (one POST or one delivery check per message) takes
		// several seconds for all n on a loaded machine under -race.
		for i := range n {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			err := c.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf("m%d", i)))
			cancel()
			if err != nil {
				done <- fmt.Errorf("writing m%d of %d: %w", i, n, err)
				return
			}
		}
		done <- nil
	}()
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		typ, b, err := c.Read(ctx)
		cancel()
		if err != nil {
			select {
			case werr := <-done:
				require.NoError(t, werr, "the writer, while the reader waited for m%d", i)
			default:
			}
			require.NoError(t, err, "waiting for the echo of m%d of %d", i, n)
		}
		require.Equal(t, websocket.MessageText, typ, "message %q", b)
		require.Equal(t, fmt.Sprintf("m%d", i), string(b))
	}
	require.NoError(t, <-done)
}

func testBinary(t *testing.T, tr Transport) {
	got := make(chan anyws.Message, 1)
	e := newEnv(t, tr, nil, func(r *recorder) {
		welcome(r)
		r.onMessage = func(p *anyws.Peer, m anyws.Message) {
			got <- m
			_ = p.Send(m)
		}
	})
	c := e.dial()
	readText(t, c)
	payload := []byte{0, 1, 2, 0xff, 0xfe, '\n', '\r', 'x'}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageBinary, payload))
	m := <-got
	require.True(t, m.IsBinary())
	require.Equal(t, payload, m.Bytes())
	typ, b := read(t, c)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, payload, b)
}

func testClientClose(t *testing.T, tr Transport) {
	var opts *anyws.Options
	if tr.NoGoodbye {
		// The peer waits to be resumed, then closes: shorten the wait.
		opts = &anyws.Options{ResumeWindow: 200 * time.Millisecond}
	}
	e := newEnv(t, tr, opts, welcome)
	c := e.dial()
	readText(t, c)
	require.NoError(t, c.Close(4000, "bye"))
	p := e.waitClosed(1)[0]
	info := e.rec.closeInfo(p)
	if tr.ClientCloseCodes {
		require.Equal(t, anyws.StatusCode(4000), info.Code, "%v", info)
		require.Equal(t, "bye", info.Reason)
	}
	require.Nil(t, e.hub.Peer(p.ID()), "closed peer still registered")
	require.Empty(t, e.hub.Peers())
	require.Error(t, p.Context().Err(), "peer context not cancelled")
	require.ErrorIs(t, p.Send("late"), anyws.ErrClosed)
}

func testServerClose(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, welcome)
	c := e.dial()
	readText(t, c)
	p := e.hub.Peers()[0]
	_ = p.Send("last words")
	require.NoError(t, p.Close(4001, "server says bye"))
	require.Equal(t, "last words", readText(t, c), "queued messages are flushed before a graceful close")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, _, err := c.Read(ctx)
	require.Error(t, err)
	if tr.CloseCodes {
		require.Equal(t, websocket.StatusCode(4001), websocket.CloseStatus(err), "%v", err)
	}
	got := e.waitClosed(1)[0]
	require.Same(t, p, got)
	info := e.rec.closeInfo(p)
	require.Equal(t, anyws.StatusCode(4001), info.Code)
	require.Equal(t, "server says bye", info.Reason)
}

func testPublishToOthers(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, func(r *recorder) {
		welcome(r)
		r.onMessage = func(p *anyws.Peer, m anyws.Message) {
			_ = p.Publish("chat", m)
			_ = p.Send("ack " + m.Text())
		}
	})
	a, b := e.dial(), e.dial()
	readText(t, a)
	readText(t, b)
	write(t, a, "hello from a")
	require.Equal(t, "ack hello from a", readText(t, a), "the publisher gets its ack, not its own publish")
	require.Equal(t, "hello from a", readText(t, b))
	write(t, b, "hello from b")
	require.Equal(t, "ack hello from b", readText(t, b))
	require.Equal(t, "hello from b", readText(t, a))
}

func testHubPublish(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, welcome)
	a, b := e.dial(), e.dial()
	readText(t, a)
	readText(t, b)
	require.NoError(t, e.hub.Publish("chat", "to all"))
	require.Equal(t, "to all", readText(t, a))
	require.Equal(t, "to all", readText(t, b))
	require.NoError(t, e.hub.Publish("chat", "elsewhere", anyws.InNamespace("/nowhere")))
	require.NoError(t, e.hub.Publish("other-topic", "unsubscribed"))
	require.NoError(t, e.hub.Publish("chat", map[string]int{"n": 1}))
	require.Equal(t, `{"n":1}`, readText(t, a), "neither another namespace's nor another topic's message arrived first")
	require.Equal(t, `{"n":1}`, readText(t, b))
}

func testPeersOrder(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, welcome)
	var ids []string
	for range 4 {
		c := e.dial()
		msg := readText(t, c)
		ids = append(ids, msg[len("welcome "):])
	}
	for range 3 {
		var got []string
		for _, p := range e.hub.Peers() {
			got = append(got, p.ID())
		}
		require.Equal(t, ids, got)
		var nsGot []string
		for _, p := range e.hub.Peer(ids[2]).Peers() {
			nsGot = append(nsGot, p.ID())
		}
		require.Equal(t, ids, nsGot)
	}
}

func testDrain(t *testing.T, tr Transport) {
	drained := make(chan error, 1)
	e := newEnv(t, tr, nil, func(r *recorder) {
		r.onOpen = func(p *anyws.Peer) {
			for i := range 100 {
				_ = p.Send(fmt.Sprintf("m%d", i))
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				err := p.Drain(ctx)
				if err == nil && p.Buffered() != 0 {
					err = fmt.Errorf("drained with %d bytes buffered", p.Buffered())
				}
				drained <- err
			}()
		}
	})
	c := e.dial()
	for i := range 100 {
		require.Equal(t, fmt.Sprintf("m%d", i), readText(t, c))
	}
	require.NoError(t, <-drained)
}

func testPanicInHook(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, func(r *recorder) {
		welcome(r)
		r.onMessage = func(p *anyws.Peer, m anyws.Message) {
			if m.Text() == "boom" {
				panic("boom")
			}
			_ = p.Send(m)
		}
	})
	bad, good := e.dial(), e.dial()
	readText(t, bad)
	readText(t, good)
	write(t, bad, "boom")
	select {
	case err := <-e.rec.errs:
		require.ErrorContains(t, err, "boom")
	case <-time.After(wait):
		t.Fatal("the Error hook did not hear of the panic")
	}
	p := e.waitClosed(1)[0]
	require.Equal(t, anyws.StatusInternalError, e.rec.closeInfo(p).Code)
	write(t, good, "still here")
	require.Equal(t, "still here", readText(t, good))
}

// testSlowConsumer publishes to three readers and one client that never
// reads: the readers get everything in order, the stalled peer is closed
// by the overflow policy, and its queue never exceeds the bound.
func testSlowConsumer(t *testing.T, tr Transport) {
	const queueBytes = 256 << 10
	e := newEnv(t, tr, &anyws.Options{QueueMessages: 256, QueueBytes: queueBytes}, welcome)
	stalled := e.dial()
	_ = stalled // never read again once connected
	// A client may see its response before its peer is registered: wait,
	// so that the stalled client's peer is the first one.
	require.Eventually(t, func() bool { return len(e.hub.Peers()) == 1 }, wait, time.Millisecond)
	var readers []Client
	for range 3 {
		readers = append(readers, e.dial())
	}
	// The stalled client is the first peer; wait until all four are open.
	require.Eventually(t, func() bool { return len(e.hub.Peers()) == 4 }, wait, 5*time.Millisecond)
	stalledPeer := e.hub.Peers()[0]
	for _, c := range readers {
		readText(t, c)
	}

	payload := bytes.Repeat([]byte("x"), 4<<10)
	const round = 16
	var (
		mu       sync.Mutex
		received = make([]int, len(readers))
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	for i, c := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				_, b, err := c.Read(ctx)
				cancel()
				if err != nil {
					select {
					case <-stop:
					default:
						t.Errorf("reader %d: %v", i, err)
					}
					return
				}
				mu.Lock()
				want := fmt.Sprintf("%06d", received[i])
				if len(b) < 6 || string(b[:6]) != want {
					t.Errorf("reader %d: got message %.6q, want %s", i, b, want)
				}
				received[i]++
				mu.Unlock()
			}
		}()
	}
	sent := 0
	stalledClosed := false
	for r := 0; r < 4000/round && !stalledClosed; r++ {
		for range round {
			msg := append([]byte(fmt.Sprintf("%06d", sent)), payload...)
			require.NoError(t, e.hub.Publish("chat", string(msg)))
			sent++
		}
		require.LessOrEqual(t, stalledPeer.Buffered(), queueBytes+len(payload)+6, "a queue outgrew its bound")
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, n := range received {
				if n < sent {
					return false
				}
			}
			return true
		}, wait, time.Millisecond, "readers fell behind")
		// Once the policy has closed the stalled peer, it accepts nothing.
		stalledClosed = errors.Is(stalledPeer.Send(""), anyws.ErrClosed)
	}
	require.True(t, stalledClosed, "the stalled peer was never closed after %d messages", sent)
	require.Same(t, stalledPeer, e.waitClosed(1)[0], "a reading peer was closed")
	require.Equal(t, anyws.StatusTryAgainLater, e.rec.closeInfo(stalledPeer).Code)
	select {
	case err := <-e.rec.errs:
		require.ErrorIs(t, err, anyws.ErrQueueFull)
	case <-time.After(wait):
		t.Fatal("the overflow was not reported to the Error hook")
	}
	close(stop)
	for _, c := range readers {
		_ = c.CloseNow()
	}
	wg.Wait()
}

func testShutdown(t *testing.T, tr Transport) {
	e := newEnv(t, tr, nil, welcome)
	clients := []Client{e.dial(), e.dial(), e.dial()}
	for _, c := range clients {
		readText(t, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, e.hub.Shutdown(ctx))
	closed := e.waitClosed(3)
	for _, p := range closed {
		require.Equal(t, anyws.StatusGoingAway, e.rec.closeInfo(p).Code)
	}
	for _, c := range clients {
		_, _, err := c.Read(ctx)
		require.Error(t, err)
		if tr.CloseCodes {
			require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
		}
	}
	require.ErrorIs(t, e.hub.Publish("chat", "late"), anyws.ErrHubClosed)
	_, err := e.tr.Dial(ctx, t, e.url)
	require.Error(t, err, "a hub that shut down accepts no peer")
	require.False(t, errors.Is(err, context.DeadlineExceeded), "dial after shutdown hung: %v", err)
}

// testHookWaitsOnContext: a Message hook that waits on Peer.Context
// returns as soon as the peer starts closing, so Peer.Close and
// Hub.Shutdown end the peer (Close hook, once) instead of deadlocking.
func testHookWaitsOnContext(t *testing.T, tr Transport) {
	for _, how := range []string{"Close", "Shutdown"} {
		t.Run(how, func(t *testing.T) {
			entered := make(chan *anyws.Peer, 1)
			e := newEnv(t, tr, nil, func(r *recorder) {
				welcome(r)
				r.onMessage = func(p *anyws.Peer, m anyws.Message) {
					entered <- p
					<-p.Context().Done()
				}
			})
			c := e.dial()
			readText(t, c)
			// A per-message POST is answered after its hook returns, so
			// the write is not waited for here.
			wrote := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				wrote <- c.Write(ctx, websocket.MessageText, []byte("wait"))
			}()
			defer func() { <-wrote }()
			var p *anyws.Peer
			select {
			case p = <-entered:
			case <-time.After(wait):
				t.Fatal("the Message hook was not called")
			}
			want := anyws.StatusCode(4002)
			done := make(chan error, 1)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if how == "Close" {
				require.NoError(t, p.Close(want, "done"))
				done <- nil
			} else {
				want = anyws.StatusGoingAway
				go func() { done <- e.hub.Shutdown(ctx) }()
			}
			select {
			case err := <-done:
				require.NoError(t, err, "Shutdown with a hook waiting on the peer's context")
			case <-time.After(wait):
				t.Fatal("Shutdown did not return while a Message hook waited on Peer.Context")
			}
			closed := e.waitClosed(1)
			require.Equal(t, want, e.rec.closeInfo(closed[0]).Code)
			_ = c.CloseNow()
		})
	}
}
