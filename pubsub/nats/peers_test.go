package nats_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// peerBroker starts a history broker on srv with prefix, as node id.
func peerBroker(t *testing.T, srv *testservers.Server, prefix, id string) *nats.HistoryBroker {
	t.Helper()
	b, err := nats.NewHistory(&nats.Options{URL: srv.URL(), Prefix: prefix}, nil, &nats.HistoryOptions{Memory: true})
	require.NoError(t, err)
	require.NoError(t, b.Start(id, func(pubsub.Message) {}, func(error) {}))
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// sideJS is a JetStream client of the test's own, to look at and break
// the brokers' bucket.
func sideJS(t *testing.T, srv *testservers.Server) jetstream.JetStream {
	t.Helper()
	nc, err := gonats.Connect(srv.URL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestPeerStoreBucketGone: the bucket of peer records deleted under the
// brokers (as a server restarted without its store loses it): a load or
// delete finds no record and no error, and the next save makes the
// bucket again, on a node that had it as on one that never did.
func TestPeerStoreBucketGone(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	js := sideJS(t, srv)
	ctx := testCtx(t)
	prefix := "gone" + rand.Text()[:10]
	a, b := peerBroker(t, srv, prefix, "a"), peerBroker(t, srv, prefix, "b")
	require.NoError(t, a.SavePeer(ctx, "k1", []byte("one"), time.Hour))
	rec, err := b.LoadPeer(ctx, "k1")
	require.NoError(t, err)
	require.Equal(t, "one", string(rec))

	require.NoError(t, js.DeleteKeyValue(ctx, prefix+"_peers"))
	for _, n := range []*nats.HistoryBroker{a, b} {
		rec, err := n.LoadPeer(ctx, "k1")
		require.NoError(t, err, "a load once the bucket is gone")
		require.Nil(t, rec, "a load once the bucket is gone")
		require.NoError(t, n.DeletePeer(ctx, "k1"), "a delete once the bucket is gone")
	}
	require.NoError(t, a.SavePeer(ctx, "k2", []byte("two"), time.Hour), "a save once the bucket is gone")
	c := peerBroker(t, srv, prefix, "c")
	for _, n := range []*nats.HistoryBroker{a, b, c} {
		rec, err := n.LoadPeer(ctx, "k2")
		require.NoError(t, err)
		require.Equal(t, "two", string(rec), "a record saved after the bucket was made again")
	}

	// The same with the save first on a node that had the old bucket.
	require.NoError(t, js.DeleteKeyValue(ctx, prefix+"_peers"))
	require.NoError(t, b.SavePeer(ctx, "k3", []byte("three"), time.Hour), "a save once the bucket is gone again")
	rec, err = a.LoadPeer(ctx, "k3")
	require.NoError(t, err)
	require.Equal(t, "three", string(rec))
	kv, err := js.KeyValue(ctx, prefix+"_peers")
	require.NoError(t, err)
	st, err := kv.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, time.Hour, st.TTL(), "the bucket made again has the save's ttl")
	require.Equal(t, jetstream.MemoryStorage, st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Storage, "stored as the history streams")
}

// TestPeerStoreTTLGrows: a bucket made with a short ttl (another Hub's,
// or an earlier version's) gets a broker's longer ttl at its first save,
// or records would expire before their Hub saves them again; a shorter
// ttl does not shorten it.
func TestPeerStoreTTLGrows(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	js := sideJS(t, srv)
	ctx := testCtx(t)
	prefix := "grow" + rand.Text()[:10]
	ttl := func() time.Duration {
		t.Helper()
		kv, err := js.KeyValue(ctx, prefix+"_peers")
		require.NoError(t, err)
		st, err := kv.Status(ctx)
		require.NoError(t, err)
		return st.TTL()
	}
	a := peerBroker(t, srv, prefix, "a")
	require.NoError(t, a.SavePeer(ctx, "k1", []byte("one"), time.Minute))
	require.Equal(t, time.Minute, ttl(), "the first save's ttl")
	b := peerBroker(t, srv, prefix, "b")
	rec, err := b.LoadPeer(ctx, "k1") // b finds the bucket on a load first
	require.NoError(t, err)
	require.Equal(t, "one", string(rec))
	require.NoError(t, b.SavePeer(ctx, "k2", []byte("two"), time.Hour))
	require.Equal(t, time.Hour, ttl(), "a longer ttl raises the bucket's")
	c := peerBroker(t, srv, prefix, "c")
	require.NoError(t, c.SavePeer(ctx, "k3", []byte("three"), time.Minute))
	require.Equal(t, time.Hour, ttl(), "a shorter ttl leaves the bucket's")
	for _, k := range []string{"k1", "k2", "k3"} {
		rec, err := a.LoadPeer(ctx, k)
		require.NoError(t, err)
		require.NotNil(t, rec, "record %s", k)
	}
}

// TestPeerStoreKeys: keys that are not valid key-value keys (a Hub's
// are base64url, which are) are stored apart from each other all the
// same.
func TestPeerStoreKeys(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	ctx := testCtx(t)
	a := peerBroker(t, srv, "keys"+rand.Text()[:10], "a")
	keys := []string{"plain", "with.dot", "with space", "*", ">", "ü", "a/b", "=", ""}
	for i, k := range keys {
		require.NoError(t, a.SavePeer(ctx, k, []byte{byte(i)}, time.Hour), "key %q", k)
	}
	for i, k := range keys {
		rec, err := a.LoadPeer(ctx, k)
		require.NoError(t, err, "key %q", k)
		require.Equal(t, []byte{byte(i)}, rec, "key %q", k)
	}
}

// TestPeerStoreServerRestart: a server restarted with its JetStream store
// but a bucket in memory storage (HistoryOptions.Memory) comes back
// without the bucket: once the nodes have reconnected, a load finds no
// record and no error, and a save makes the bucket again.
func TestPeerStoreServerRestart(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	ctx := testCtx(t)
	prefix := "restart" + rand.Text()[:10]
	a, b := peerBroker(t, srv, prefix, "a"), peerBroker(t, srv, prefix, "b")
	require.NoError(t, a.SavePeer(ctx, "k1", []byte("one"), time.Hour))
	rec, err := b.LoadPeer(ctx, "k1")
	require.NoError(t, err)
	require.Equal(t, "one", string(rec))

	srv.Kill()
	srv.Restart()
	for _, n := range []*nats.HistoryBroker{a, b} {
		for n.Stats().Reconnects == 0 {
			require.NoError(t, ctx.Err(), "waiting for a node to reconnect")
			time.Sleep(10 * time.Millisecond)
		}
		require.NoError(t, n.Sync(ctx))
	}
	for _, n := range []*nats.HistoryBroker{a, b} {
		rec, err := n.LoadPeer(ctx, "k1")
		require.NoError(t, err, "a load after the bucket was lost")
		require.Nil(t, rec, "a load after the bucket was lost")
	}
	require.NoError(t, b.SavePeer(ctx, "k2", []byte("two"), time.Hour), "a save after the bucket was lost")
	rec, err = a.LoadPeer(ctx, "k2")
	require.NoError(t, err)
	require.Equal(t, "two", string(rec))
}
