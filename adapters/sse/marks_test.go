package sse_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/brokertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// TestMarksRecoverAcrossKilledNode: on nodes whose broker keeps peer
// records, a resumable stream's hello says it has marks and every topic
// message's id ends with "~<mark>" (the publish's position, as
// sse.Mark makes it). When the node holding the stream is killed, the
// client's claim (the hello's key, its last number) and its marks
// (X-Anyws-Marks) get the same peer back on another node, recovered,
// with the message it missed, marked.
func TestMarksRecoverAcrossKilledNode(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			bus := pubsub.NewMemoryHistory(nil)
			b0, b1 := bus.Broker(), bus.Broker()
			subscribe := func(r *recorder) anyws.Hooks {
				r.onOpen = func(p *anyws.Peer) { p.Subscribe("news") }
				return r.hooks()
			}
			e0 := newEnv(t, envConfig{mode: m, hub: &anyws.Options{Broker: b0, NodeID: "n0"}, hooks: subscribe})
			e1 := newEnv(t, envConfig{mode: m, hub: &anyws.Options{Broker: b1, NodeID: "n1"}, hooks: subscribe})

			c := open(t, e0.client, e0.url, sse.ShortIDsHeader, sse.ShortIDs)
			id := e0.rec.peer(t).ID()
			ev := c.next(t)
			require.Equal(t, sse.HelloEvent, ev.Type)
			var h sse.Hello
			require.NoError(t, json.Unmarshal(ev.Data, &h))
			require.True(t, h.Marks, "the hello says messages carry marks: %s", ev.Data)
			hello := ev.ID
			awaitRecord(t, b1.(pubsub.PeerStore), hello)

			ctx := context.Background()
			set := sse.MarkSet{}
			for i, text := range []string{"news-1", "news-2"} {
				pos, err := e1.hub.PublishWait(ctx, "news", text)
				require.NoError(t, err)
				ev := c.next(t)
				require.Equal(t, text, string(ev.Data))
				mark := sse.Mark("news", pos.Epoch, pos.Offset)
				require.Equal(t, []string{string(rune('1' + i)), mark}, strings.SplitN(ev.ID, sse.MarkSep, 2), "id: number, then the mark")
				set.Add(mark)
			}

			require.NoError(t, b0.Close()) // node n0 is killed
			c.stop()
			pos, err := e1.hub.PublishWait(ctx, "news", "news-3")
			require.NoError(t, err)

			again := open(t, e1.client, e1.url, sse.ShortIDsHeader, sse.ShortIDs,
				sse.LastEventIDHeader, sse.ShortIDClaim(hello, "2"), sse.MarksHeader, set.Header())
			require.Equal(t, id, e1.rec.peer(t).ID(), "the same peer, opened again")
			ev = again.next(t)
			require.Equal(t, sse.HelloEvent, ev.Type)
			h = sse.Hello{}
			require.NoError(t, json.Unmarshal(ev.Data, &h))
			require.Equal(t, sse.Hello{Resumed: true, Recovered: true, Marks: true}, h)
			ev = again.next(t)
			require.Equal(t, "news-3", string(ev.Data))
			require.Equal(t, "3"+sse.MarkSep+sse.Mark("news", pos.Epoch, pos.Offset), ev.ID)
		})
	}
}

// awaitRecord waits until the peer whose hello id is given has a record
// in store (the Hub saves it in the background).
func awaitRecord(t *testing.T, store pubsub.PeerStore, hello string) {
	t.Helper()
	secret, _, _ := strings.Cut(hello, ".")
	sum := sha256.Sum256([]byte(secret))
	key := base64.RawURLEncoding.EncodeToString(sum[:16])
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := store.LoadPeer(context.Background(), key)
		require.NoError(t, err)
		if strings.Contains(string(b), `"news"`) {
			return
		}
		require.True(t, time.Now().Before(deadline), "no record of the peer with topic news was saved")
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClaimAgainIsAnEmptyStream: a claim the Hub cannot serve now
// (anyws.ErrClaimAgain: the node lost its broker while taking the peer
// over) is answered with an event stream that ends at once, with no
// event, not even a close: every client, EventSource too, takes that as
// a dropped stream and claims again.
func TestClaimAgainIsAnEmptyStream(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			bus := pubsub.NewMemoryHistory(nil)
			var failing atomic.Bool
			subscribe := func(r *recorder) anyws.Hooks {
				r.onOpen = func(p *anyws.Peer) { p.Subscribe("news") }
				return r.hooks()
			}
			e0 := newEnv(t, envConfig{mode: m, hub: &anyws.Options{Broker: bus.Broker(), NodeID: "n0"}, hooks: subscribe})
			e1 := newEnv(t, envConfig{mode: m, hub: &anyws.Options{Broker: brokertest.HistoryFails{StoreBroker: bus.Broker().(brokertest.StoreBroker), Failing: &failing}, NodeID: "n1"}, hooks: subscribe})
			c := open(t, e0.client, e0.url, sse.ShortIDsHeader, sse.ShortIDs)
			e0.rec.peer(t)
			hello := c.next(t).ID
			c.stop()

			failing.Store(true)
			again := open(t, e1.client, e1.url, sse.ShortIDsHeader, sse.ShortIDs, sse.LastEventIDHeader, hello, sse.MarksHeader, "")
			require.Equal(t, "text/event-stream", again.resp.Header.Get("Content-Type"))
			select {
			case <-again.done:
			case <-time.After(wait):
				t.Fatal("the stream did not end")
			}
			require.Empty(t, again.events, "no event: not a hello, not a close")
			require.Empty(t, e1.rec.opened, "no new peer")
		})
	}
}
