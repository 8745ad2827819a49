package nats

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws/internal/test/testservers"
	"github.com/anyws/anyws/pubsub"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// racingJS is a JetStream on which this node loses the race to make a
// stream: just before its CreateStream reaches the server, another node
// makes the stream (another epoch), and the server refuses this node's
// with "subjects overlap with an existing stream" (err_code 10065), as
// nats-server 2.9 sometimes answers two creations at once rather than
// "stream name already in use".
type racingJS struct {
	jetstream.JetStream
	other jetstream.StreamConfig
}

func (r racingJS) CreateStream(ctx context.Context, _ jetstream.StreamConfig) (jetstream.Stream, error) {
	if _, err := r.JetStream.CreateStream(ctx, r.other); err != nil {
		return nil, err
	}
	return nil, &jetstream.APIError{Code: 400, ErrorCode: 10065, Description: "subjects overlap with an existing stream"}
}

// TestHistoryCreateRaceOverlap: a node whose creation of a topic's
// stream lost the race that way uses the stream the other node made:
// its first publish is stored, not lost (it was lost, and counted, once
// in about 200 runs of OneOrderEverywhere: that publisher's message 0
// missing).
func TestHistoryCreateRaceOverlap(t *testing.T) {
	t.Parallel()
	b, failed := startRacing(t, "race")
	const epoch = "OTHERNODEEPOC" // 13 characters, as rand.Text()[:13]
	// Before any publish: the outbox's goroutine reads js after Push.
	b.hist.js = racingJS{JetStream: b.hist.js, other: b.hist.config(b.Broker, "t", epoch)}

	require.NoError(t, b.Publish(pubsub.Message{Topic: "t", Data: []byte("first")}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Sync(ctx))
	require.Empty(t, failed(), "reported failures")
	require.Zero(t, b.Stats().Failed, "failed publishes")
	got, err := b.History(ctx, "t", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "first", string(got[0].Data))
	require.Equal(t, pubsub.Position{Epoch: epoch, Offset: 1}, got[0].Position)
}

// TestHistoryForeignStreamOverlap: a stream of another name that holds
// the topic's subject is not taken for the topic's: the publish fails
// with the server's error, reported.
func TestHistoryForeignStreamOverlap(t *testing.T) {
	t.Parallel()
	srv := testservers.NATS(t)
	b, err := NewHistory(&Options{URL: srv.URL(), Prefix: "foreign" + rand.Text()[:10]}, nil, &HistoryOptions{Memory: true})
	require.NoError(t, err)
	require.NoError(t, b.Start("n1", func(pubsub.Message) {}, func(error) {}))
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = b.hist.js.CreateStream(ctx, jetstream.StreamConfig{Name: "someone_else", Subjects: []string{b.storeSubject("t")}, Storage: jetstream.MemoryStorage})
	require.NoError(t, err)
	_, err = b.Append(ctx, pubsub.Message{Topic: "t", Data: []byte("x")})
	require.ErrorContains(t, err, "overlap")
	require.Equal(t, uint64(1), b.Stats().Failed)
}

// deafJS is a JetStream on which another node's creation of the stream
// is under way: the stream shows (its name in use, its info readable)
// but nothing listens on its subject yet, as nats-server 2.9 shows a
// stream it is making. The stream is made for real after a while.
type deafJS struct {
	jetstream.JetStream
	cfg   jetstream.StreamConfig
	made  chan struct{}
	asked *atomic.Bool // this node asked to make the stream
	t     *testing.T
}

// shownStream is the stream as its info shows it while it is made.
type shownStream struct {
	jetstream.Stream
	info *jetstream.StreamInfo
}

func (s shownStream) CachedInfo() *jetstream.StreamInfo { return s.info }

func (d deafJS) CreateStream(context.Context, jetstream.StreamConfig) (jetstream.Stream, error) {
	d.asked.Store(true)
	go func() {
		time.Sleep(300 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := d.JetStream.CreateStream(ctx, d.cfg)
		assert.NoError(d.t, err)
		close(d.made)
	}()
	return nil, jetstream.ErrStreamNameAlreadyInUse
}

func (d deafJS) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	select {
	case <-d.made:
		return d.JetStream.Stream(ctx, name)
	default:
	}
	if name != d.cfg.Name || !d.asked.Load() {
		return nil, jetstream.ErrStreamNotFound // the first look: not there yet
	}
	return shownStream{info: &jetstream.StreamInfo{Config: d.cfg}}, nil
}

// TestHistoryCreateRaceNotListening: a node that finds the stream another
// node is still making waits until it listens: its first publishes are
// stored, not lost with "no response from stream" (300 were, once, in
// OneOrderEverywhere), and the wait stores nothing of its own.
func TestHistoryCreateRaceNotListening(t *testing.T) {
	t.Parallel()
	b, failed := startRacing(t, "deaf")
	const epoch = "OTHERNODEEPOC"
	b.hist.js = deafJS{JetStream: b.hist.js, cfg: b.hist.config(b.Broker, "t", epoch), made: make(chan struct{}), asked: new(atomic.Bool), t: t}

	for i := range 3 {
		require.NoError(t, b.Publish(pubsub.Message{Topic: "t", Data: []byte{'0' + byte(i)}}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Sync(ctx))
	require.Empty(t, failed(), "reported failures")
	require.Zero(t, b.Stats().Failed, "failed publishes")
	got, err := b.History(ctx, "t", pubsub.Position{}, 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, m := range got {
		require.Equal(t, string([]byte{'0' + byte(i)}), string(m.Data))
		require.Equal(t, pubsub.Position{Epoch: epoch, Offset: uint64(i + 1)}, m.Position)
	}
}

// startRacing starts a history broker on a server of its own, its
// topics' prefix starting with prefix; failed returns what it reported
// to its fail callback so far.
func startRacing(t *testing.T, prefix string) (b *HistoryBroker, failed func() []error) {
	t.Helper()
	srv := testservers.NATS(t)
	b, err := NewHistory(&Options{URL: srv.URL(), Prefix: prefix + rand.Text()[:10]}, nil, &HistoryOptions{Memory: true})
	require.NoError(t, err)
	var mu sync.Mutex
	var fails []error
	require.NoError(t, b.Start("n1", func(pubsub.Message) {}, func(err error) {
		mu.Lock()
		fails = append(fails, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { _ = b.Close() })
	return b, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), fails...)
	}
}
