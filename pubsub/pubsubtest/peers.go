package pubsubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// RunPeerStore runs the cases of pubsub.PeerStore: a record saved is
// loaded as saved (a copy), from any node of the bus; a second save
// replaces it; a missing or deleted record is nil and no error; a
// record lasts its ttl and no longer, and outlives the node that saved
// it (whose broker is closed, as a killed node's is); many concurrent
// saves, and two nodes' first saves at once, all succeed. newBus is
// called once per subtest, as by Run; its brokers must implement
// pubsub.PeerStore. The BusesApart case makes two buses (on one server,
// with a prefix each, say) and checks their records never mix.
//
// Every save of one bus gives the same ttl, as a Hub does (a broker may
// keep one ttl for all its records): an hour, but in the Expiry case,
// whose bus is given 2 s.
func RunPeerStore(t *testing.T, newBus func(t *testing.T) Bus) {
	tests := []struct {
		name string
		fn   func(*testing.T, Bus)
	}{
		{"RoundTrip", testPeerRoundTrip},
		{"Missing", testPeerMissing},
		{"Replace", testPeerReplace},
		{"Delete", testPeerDelete},
		{"AcrossNodes", testPeerAcrossNodes},
		{"Expiry", testPeerExpiry},
		{"OutlivesNode", testPeerOutlivesNode},
		{"ConcurrentSaves", testPeerConcurrent},
		{"FirstSavesAtOnce", testPeerFirstSaves},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBus(t))
		})
	}
	t.Run("BusesApart", func(t *testing.T) {
		t.Parallel()
		testPeerBusesApart(t, newBus(t), newBus(t))
	})
}

// testPeerBusesApart: two buses (two applications on one server) keep
// their records apart: a key saved on one is missing on the other, the
// same key saved on both holds each bus's own record, and a delete on
// one leaves the other's.
func testPeerBusesApart(t *testing.T, bus1, bus2 Bus) {
	a, b := startPeers(t, bus1), startPeers(t, bus2)
	a.save(t, peerKey("only on 1"), peerRec("1"), peerTTL)
	b.expectNone(t, peerKey("only on 1"), "saved on another bus")
	key := peerKey("on both")
	a.save(t, key, peerRec("bus 1"), peerTTL)
	b.save(t, key, peerRec("bus 2"), peerTTL)
	a.expectRec(t, key, peerRec("bus 1"), "the same key saved on another bus")
	b.expectRec(t, key, peerRec("bus 2"), "the same key saved on another bus")
	b.del(t, key)
	a.expectRec(t, key, peerRec("bus 1"), "the same key deleted on another bus")
}

// peerTTL is the ttl of every save but the Expiry case's.
const peerTTL = time.Hour

// peerNode is a started broker, as a PeerStore.
type peerNode struct {
	*node
	s pubsub.PeerStore
}

func startPeers(t *testing.T, bus Bus) *peerNode {
	t.Helper()
	n := start(t, bus)
	s, ok := n.b.(pubsub.PeerStore)
	require.True(t, ok, "pubsubtest: RunPeerStore's bus must make pubsub.PeerStores, got %T", n.b)
	return &peerNode{node: n, s: s}
}

// peerKey is a key as the Hub makes them: 22 characters of base64url
// (a hash of the peer's secret).
func peerKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

// peerRec is a record of a few hundred bytes, every byte value in it.
func peerRec(s string) []byte {
	rec := []byte(`{"id":"` + s + `","ns":"/chat","topics":{"room 1":"tag0001x"}}`)
	for i := range 256 {
		rec = append(rec, byte(i))
	}
	return rec
}

func (n *peerNode) save(t *testing.T, key string, rec []byte, ttl time.Duration) {
	t.Helper()
	require.NoError(t, n.s.SavePeer(ctxWait(t), key, rec, ttl), "SavePeer on %s", n.id)
}

func (n *peerNode) load(t *testing.T, key string) []byte {
	t.Helper()
	rec, err := n.s.LoadPeer(ctxWait(t), key)
	require.NoError(t, err, "LoadPeer on %s", n.id)
	return rec
}

func (n *peerNode) del(t *testing.T, key string) {
	t.Helper()
	require.NoError(t, n.s.DeletePeer(ctxWait(t), key), "DeletePeer on %s", n.id)
}

// expectRec checks that n loads want under key.
func (n *peerNode) expectRec(t *testing.T, key string, want []byte, what string) {
	t.Helper()
	got := n.load(t, key)
	require.NotNil(t, got, "no record under the key on %s: %s", n.id, what)
	require.True(t, bytes.Equal(want, got), "the record loaded on %s is not the one saved (%s): got %d bytes %q, want %d bytes", n.id, what, len(got), got, len(want))
}

// expectNone checks that n loads nil, and no error, under key.
func (n *peerNode) expectNone(t *testing.T, key, what string) {
	t.Helper()
	got := n.load(t, key)
	require.Nil(t, got, "a record under the key on %s (%s): %q", n.id, what, got)
}

// testPeerRoundTrip: the record loaded is the one saved, a copy: the
// caller may reuse its buffer after the save, and change what a load
// returned.
func testPeerRoundTrip(t *testing.T, bus Bus) {
	a := startPeers(t, bus)
	key := peerKey("round trip")
	want := peerRec("p1")
	rec := bytes.Clone(want)
	a.save(t, key, rec, peerTTL)
	for i := range rec {
		rec[i] = 'x' // the caller reuses its buffer
	}
	got := a.load(t, key)
	require.True(t, bytes.Equal(want, got), "the record loaded is not the one saved, or the store kept the caller's buffer: got %q", got)
	got[0] = 'y'
	a.expectRec(t, key, want, "after the caller changed what a load returned")
}

// testPeerMissing: a key never saved loads nil and no error, on a bus
// where nothing was saved yet (a store made on first use) and on one
// where something was; deleting it is no error either.
func testPeerMissing(t *testing.T, bus Bus) {
	a, b := startPeers(t, bus), startPeers(t, bus)
	a.expectNone(t, peerKey("never"), "nothing saved on the bus yet")
	a.del(t, peerKey("never"))
	b.save(t, peerKey("other"), peerRec("other"), peerTTL)
	a.expectNone(t, peerKey("never"), "another key saved")
	b.expectNone(t, peerKey("never"), "another key saved")
	a.del(t, peerKey("never"))
	b.expectRec(t, peerKey("other"), peerRec("other"), "after a missing key was deleted")
}

// testPeerReplace: a second save replaces the record, a shorter one
// too (no tail of the first left), seen from every node.
func testPeerReplace(t *testing.T, bus Bus) {
	a, b := startPeers(t, bus), startPeers(t, bus)
	key := peerKey("replace")
	a.save(t, key, peerRec("first, and longer than the second"), peerTTL)
	a.save(t, key, []byte(`{"id":"second"}`), peerTTL)
	a.expectRec(t, key, []byte(`{"id":"second"}`), "after a second save on the same node")
	b.expectRec(t, key, []byte(`{"id":"second"}`), "after a second save on another node")
	b.save(t, key, peerRec("third"), peerTTL)
	a.expectRec(t, key, peerRec("third"), "after a third save, on another node")
}

// testPeerDelete: a deleted record loads nil, from every node; a second
// delete is no error; the key can be saved again.
func testPeerDelete(t *testing.T, bus Bus) {
	a, b := startPeers(t, bus), startPeers(t, bus)
	key, kept := peerKey("delete"), peerKey("kept")
	a.save(t, key, peerRec("gone"), peerTTL)
	a.save(t, kept, peerRec("kept"), peerTTL)
	a.del(t, key)
	a.expectNone(t, key, "deleted on this node")
	b.expectNone(t, key, "deleted on another node")
	b.del(t, key)
	a.del(t, key)
	b.expectRec(t, kept, peerRec("kept"), "another key deleted")
	b.save(t, key, peerRec("again"), peerTTL)
	a.expectRec(t, key, peerRec("again"), "saved again after its delete")
}

// testPeerAcrossNodes: what one node saves, the others load, and what
// one deletes is gone for all.
func testPeerAcrossNodes(t *testing.T, bus Bus) {
	a, b, c := startPeers(t, bus), startPeers(t, bus), startPeers(t, bus)
	for i, n := range []*peerNode{a, b, c} {
		n.save(t, peerKey(n.id), peerRec(strconv.Itoa(i)), peerTTL)
	}
	for _, n := range []*peerNode{a, b, c} {
		for i, from := range []*peerNode{a, b, c} {
			n.expectRec(t, peerKey(from.id), peerRec(strconv.Itoa(i)), "saved by "+from.id)
		}
	}
	c.del(t, peerKey(a.id))
	a.expectNone(t, peerKey(a.id), "deleted by another node")
	b.expectNone(t, peerKey(a.id), "deleted by another node")
}

// testPeerExpiry: a record lasts its ttl (2 s, given on the bus's first
// save: a broker may keep the first ttl for all records) after its last
// save, then is gone from every node; a delete is not needed.
func testPeerExpiry(t *testing.T, bus Bus) {
	a, b := startPeers(t, bus), startPeers(t, bus)
	const ttl = 2 * time.Second
	key := peerKey("expires")
	saved := time.Now()
	a.save(t, key, peerRec("short"), ttl)
	if got := b.load(t, key); got == nil {
		// On a machine slow enough that the ttl passed already, the
		// record may be gone; not before.
		require.GreaterOrEqual(t, time.Since(saved), ttl, "the record was gone at once, before its ttl of %v", ttl)
	} else {
		require.True(t, bytes.Equal(peerRec("short"), got), "the record loaded is not the one saved: %q", got)
	}
	deadline := time.Now().Add(wait)
	for _, n := range []*peerNode{a, b} {
		for n.load(t, key) != nil {
			if time.Now().After(deadline) {
				require.FailNow(t, "timed out waiting for a record to expire", "saved with a ttl of %v, still loaded on %s %v after its save", ttl, n.id, time.Since(saved).Round(time.Millisecond))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// An expired key is missing like any other: deleting it is no error,
	// and it can be saved again.
	b.del(t, key)
	b.save(t, key, peerRec("again"), ttl)
}

// testPeerOutlivesNode: the records of a node whose broker was closed
// (killed: it deleted nothing) are loaded by the others, which may
// delete them; the closed broker refuses calls.
func testPeerOutlivesNode(t *testing.T, bus Bus) {
	a, b := startPeers(t, bus), startPeers(t, bus)
	a.save(t, peerKey("p1"), peerRec("p1"), peerTTL)
	a.save(t, peerKey("p2"), peerRec("p2"), peerTTL)
	a.close(t)
	ctx := ctxWait(t)
	require.Error(t, a.s.SavePeer(ctx, peerKey("p3"), peerRec("p3"), peerTTL), "SavePeer on a closed broker")
	_, err := a.s.LoadPeer(ctx, peerKey("p1"))
	require.Error(t, err, "LoadPeer on a closed broker")
	require.Error(t, a.s.DeletePeer(ctx, peerKey("p1")), "DeletePeer on a closed broker")
	b.expectRec(t, peerKey("p1"), peerRec("p1"), "saved by a node since closed")
	b.expectRec(t, peerKey("p2"), peerRec("p2"), "saved by a node since closed")
	b.del(t, peerKey("p1"))
	b.expectNone(t, peerKey("p1"), "deleted after its node closed")
	c := startPeers(t, bus)
	c.expectRec(t, peerKey("p2"), peerRec("p2"), "saved by a node closed before this one started")
}

// testPeerConcurrent: 1,000 records saved at once by 8 goroutines on
// two nodes, each saved twice (the second replaces), are all loaded,
// from a third node, as last saved.
func testPeerConcurrent(t *testing.T, bus Bus) {
	nodes := []*peerNode{startPeers(t, bus), startPeers(t, bus)}
	c := startPeers(t, bus)
	const keys, workers = 1000, 8
	ctx := ctxWait(t)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := nodes[w%len(nodes)]
			for i := w; i < keys; i += workers {
				for round := range 2 {
					rec := fmt.Appendf(nil, `{"i":%d,"round":%d}`, i, round)
					if err := n.s.SavePeer(ctx, peerKey(strconv.Itoa(i)), rec, peerTTL); err != nil {
						errs <- fmt.Errorf("save %d (round %d) on %s: %w", i, round, n.id, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	loads := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < keys && err == nil; i += workers {
				var got []byte
				got, err = c.s.LoadPeer(ctx, peerKey(strconv.Itoa(i)))
				if want := fmt.Appendf(nil, `{"i":%d,"round":1}`, i); err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("record %d: got %q, want %q", i, got, want)
				}
			}
			loads <- err
		}()
	}
	for range workers {
		require.NoError(t, <-loads)
	}
}

// testPeerFirstSaves: two nodes' first saves, on a bus where nothing
// was saved yet, made at once: a broker that makes its store on first
// use must not fail the node that lost the race to make it.
func testPeerFirstSaves(t *testing.T, bus Bus) {
	const n = 4
	nodes := make([]*peerNode, n)
	for i := range nodes {
		nodes[i] = startPeers(t, bus)
	}
	ctx := ctxWait(t)
	ready := make(chan struct{})
	errs := make(chan error, n)
	for i, p := range nodes {
		go func() {
			<-ready
			if err := p.s.SavePeer(ctx, peerKey(p.id), peerRec(strconv.Itoa(i)), peerTTL); err != nil {
				errs <- fmt.Errorf("first save on %s: %w", p.id, err)
				return
			}
			errs <- nil
		}()
	}
	close(ready)
	for range n {
		require.NoError(t, <-errs)
	}
	for _, p := range nodes {
		for i, from := range nodes {
			p.expectRec(t, peerKey(from.id), peerRec(strconv.Itoa(i)), "first save of "+from.id)
		}
	}
}
