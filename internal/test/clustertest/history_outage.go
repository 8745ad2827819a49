package clustertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Server is a broker's server process that a test kills (SIGKILL) and
// starts again on the same port with the same data directory.
type Server interface {
	Kill()
	Restart()
}

// RunHistoryOutage kills the broker's server while three nodes publish
// to one topic (Hub.PublishWait) and their WebSocket and SSE clients
// read it, and starts it again on the same port. The third node reaches
// the server through a proxy that stays down longer: the others publish
// while it is away, then everybody stops, then it comes back and must
// catch up from the history with no new message to show it the gap.
// Every publish whose PublishWait succeeded reaches every client exactly
// once, in each publisher's order; every other one was reported to its
// publisher (an error) and reaches a client at most once. The catch-up
// time is logged.
//
// addr is the server's host:port; newBroker returns a history broker
// (pubsub.HistoryBroker) on the server at addr.
func RunHistoryOutage(t *testing.T, srv Server, addr string, newBroker func(addr string) pubsub.Broker) {
	const nodesN, before, after, maxTries = 3, 50, 100, 20000
	ctx, cancel := context.WithTimeout(context.Background(), 4*wait)
	defer cancel()
	proxy, err := faultproxy.Start(addr)
	require.NoError(t, err)
	proxyAddr := proxy.Addr()
	t.Cleanup(func() { _ = proxy.Close() })
	var nodes []*Node
	for i := range nodesN {
		a := addr
		if i == nodesN-1 {
			a = proxyAddr // the late node
		}
		b := newBroker(a)
		_, ok := b.(pubsub.HistoryBroker)
		require.True(t, ok, "RunHistoryOutage needs history brokers, got %T", b)
		nodes = append(nodes, NewNode(t, b, "news"))
	}
	var clients []reader
	for _, n := range nodes {
		c, _, err := ws.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/ws", nil)
		require.NoError(t, err)
		c.SetReadLimit(-1)
		clients = append(clients, c)
		s, _, err := websocketsse.Dial(ctx, n.URL+"/sse", &websocketsse.DialOptions{MaxQueuedMessages: 1 << 16})
		require.NoError(t, err)
		clients = append(clients, s)
	}
	for _, n := range nodes {
		recv(t, n.Opened, "Open")
		recv(t, n.Opened, "Open")
	}
	Sync(t, nodes...)

	// What each client received, in order.
	got := make([]*received, len(clients))
	var readers sync.WaitGroup
	for i, c := range clients {
		got[i] = &received{count: make(map[string]int), next: make([]int, nodesN)}
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				got[i].add(string(b))
			}
		}()
	}
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.CloseNow()
		}
		readers.Wait()
	})

	// Publishers: every attempt has its own label; its outcome is known.
	type outcome struct {
		mu     sync.Mutex
		stored map[string]bool // label → stored (PublishWait returned a position)
		ok     atomic.Int64
		failed atomic.Int64
	}
	outs := make([]*outcome, nodesN)
	stop := make(chan struct{})
	var pubs sync.WaitGroup
	for i, n := range nodes {
		outs[i] = &outcome{stored: make(map[string]bool)}
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			o := outs[i]
			for seq := 0; seq < maxTries; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				l := label(i, seq)
				pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := n.Hub.PublishWait(pctx, "news", l)
				pcancel()
				o.mu.Lock()
				o.stored[l] = err == nil
				o.mu.Unlock()
				if err == nil {
					o.ok.Add(1)
				} else {
					o.failed.Add(1)
					time.Sleep(time.Millisecond) // the server is down: do not spin
				}
			}
		}()
	}
	stopped := false
	stopPubs := func() {
		if !stopped {
			stopped = true
			close(stop)
			pubs.Wait()
		}
	}
	defer stopPubs()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * wait)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
			time.Sleep(5 * time.Millisecond)
		}
	}
	each := func(f func(o *outcome) bool) func() bool {
		return func() bool {
			for _, o := range outs {
				if !f(o) {
					return false
				}
			}
			return true
		}
	}
	waitFor("publishes before the outage", each(func(o *outcome) bool { return o.ok.Load() >= before }))
	_ = proxy.Close()
	srv.Kill()
	killed := time.Now()
	failedAt := make([]int64, nodesN)
	for i, o := range outs {
		failedAt[i] = o.failed.Load()
	}
	waitFor("publishes refused during the outage", func() bool {
		for i, o := range outs {
			if o.failed.Load() < failedAt[i]+100 {
				return false
			}
		}
		return true
	})
	srv.Restart()
	restarted := time.Now()
	okAt := make([]int64, nodesN)
	for i, o := range outs {
		okAt[i] = o.ok.Load()
	}
	waitFor("publishes after the restart, the late node away", func() bool {
		for i, o := range outs[:nodesN-1] {
			if o.ok.Load() < okAt[i]+after {
				return false
			}
		}
		return true
	})
	stopPubs()
	require.Equal(t, okAt[nodesN-1], outs[nodesN-1].ok.Load(), "the late node published while away")
	pubEnd := time.Now()
	proxy, err = faultproxy.StartOn(proxyAddr, addr)
	require.NoError(t, err, "restart the late node's proxy")
	t.Cleanup(func() { _ = proxy.Close() })
	back := time.Now()

	// Every stored publish reaches every client.
	complete := func() bool {
		for _, g := range got {
			for _, o := range outs {
				o.mu.Lock()
				for l, ok := range o.stored {
					if ok && g.countOf(l) == 0 {
						o.mu.Unlock()
						return false
					}
				}
				o.mu.Unlock()
			}
		}
		return true
	}
	waitFor("every stored publish at every client", complete)
	done := time.Now()
	// A last publish, after everything: once it arrives, whatever was
	// going to arrive twice has.
	pos, err := nodes[0].Hub.PublishWait(ctx, "news", "end")
	require.NoError(t, err)
	waitFor("the last publish at every client", func() bool {
		for _, g := range got {
			if g.countOf("end") == 0 {
				return false
			}
		}
		return true
	})

	var stored, failed, failedDelivered int
	for _, o := range outs {
		for l, ok := range o.stored {
			if ok {
				stored++
				continue
			}
			failed++
			for _, g := range got {
				if g.countOf(l) > 0 {
					failedDelivered++
					break
				}
			}
		}
	}
	for i, g := range got {
		g.mu.Lock()
		require.NoError(t, g.err, "client %d: order", i)
		for l, c := range g.count {
			require.Equal(t, 1, c, "client %d received %q %d times", i, l, c)
		}
		g.mu.Unlock()
	}
	t.Logf("outage %v (late node: %v more); %d publishes stored (every one delivered once to each of %d clients, in order), %d refused and reported (%d of them stored after all and delivered once); "+
		"catch-up: every stored publish at every client %v after the late node's network came back (%v after the restart); last position %v",
		restarted.Sub(killed).Round(time.Millisecond), back.Sub(pubEnd).Round(time.Millisecond)+pubEnd.Sub(restarted).Round(time.Millisecond),
		stored, len(clients), failed, failedDelivered,
		done.Sub(back).Round(time.Millisecond), done.Sub(restarted).Round(time.Millisecond), pos)
	require.Greater(t, failed, 0, "no publish failed: the outage tested nothing")
}

// received is what one client read.
type received struct {
	mu    sync.Mutex
	count map[string]int
	next  []int // per publisher: the lowest sequence number it may send next
	err   error // the first message out of its publisher's order
}

func (r *received) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count[s]++
	var node, seq int
	if _, err := fmt.Sscanf(s, "%d:%d", &node, &seq); err != nil || node >= len(r.next) {
		return
	}
	if seq < r.next[node] && r.err == nil {
		r.err = fmt.Errorf("from node %d: %d after %d (repeated or reordered)", node, seq, r.next[node]-1)
	}
	r.next[node] = seq + 1
}

func (r *received) countOf(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[s]
}
