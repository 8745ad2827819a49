package catchup_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/catchup"
	"github.com/stretchr/testify/require"
)

const wait = 10 * time.Second

// fake is a topic's history and what the Tracker delivered.
type fake struct {
	mu        sync.Mutex
	log       []pubsub.Message // offsets first..first+len-1
	first     uint64
	reads     int
	failReads int // the next reads that fail (a broker still down)
	got       []uint64
	fails     []error
	notify    chan struct{}
}

func newFake(n int) *fake {
	f := &fake{first: 1, notify: make(chan struct{}, 1024)}
	for i := 1; i <= n; i++ {
		f.log = append(f.log, msg(uint64(i)))
	}
	return f
}

func msg(off uint64) pubsub.Message {
	return pubsub.Message{Topic: "t", Data: []byte(fmt.Sprint(off)), Position: pubsub.Position{Epoch: "e", Offset: off}}
}

func (f *fake) read(_ context.Context, _ string, since pubsub.Position) ([]pubsub.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.failReads > 0 {
		f.failReads--
		return nil, errors.New("down")
	}
	if since.Offset+1 < f.first {
		return nil, pubsub.ErrNotCovered
	}
	return append([]pubsub.Message(nil), f.log[since.Offset+1-f.first:]...), nil
}

func (f *fake) deliver(m pubsub.Message) {
	f.mu.Lock()
	f.got = append(f.got, m.Position.Offset)
	f.mu.Unlock()
	f.notify <- struct{}{}
}

func (f *fake) fail(err error) {
	f.mu.Lock()
	f.fails = append(f.fails, err)
	f.mu.Unlock()
}

func (f *fake) start(t *testing.T, top uint64) *catchup.Tracker {
	tr := catchup.New("test", f.read, f.deliver, f.fail)
	t.Cleanup(tr.Close)
	tr.Subscribe("t", pubsub.Position{Epoch: "e", Offset: top}, true)
	return tr
}

// waitGot waits until n messages were delivered and returns them.
func (f *fake) waitGot(t *testing.T, n int) []uint64 {
	t.Helper()
	deadline := time.After(wait)
	for {
		f.mu.Lock()
		got := append([]uint64(nil), f.got...)
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-f.notify:
		case <-deadline:
			t.Fatalf("waiting for %d deliveries, got %v", n, got)
		}
	}
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestInOrderAndRepeats(t *testing.T) {
	t.Parallel()
	f := newFake(5)
	tr := f.start(t, 0)
	for _, off := range []uint64{1, 2, 2, 1, 3, 4, 4, 5} {
		tr.Receive(msg(off))
	}
	require.Equal(t, span(1, 5), f.waitGot(t, 5))
	require.Zero(t, f.reads, "nothing to read: no gap")
}

// TestSwapped: two messages arrive swapped (NATS republishes two
// publishers' messages in either order): the later one waits for the
// earlier, no read.
func TestSwapped(t *testing.T) {
	t.Parallel()
	f := newFake(3)
	tr := f.start(t, 0)
	tr.Receive(msg(1))
	tr.Receive(msg(3))
	tr.Receive(msg(2))
	require.Equal(t, span(1, 3), f.waitGot(t, 3))
	require.Zero(t, f.reads)
}

// TestGapFilled: a message that never arrives is read from the history.
func TestGapFilled(t *testing.T) {
	t.Parallel()
	f := newFake(6)
	tr := f.start(t, 0)
	tr.Receive(msg(1))
	tr.Receive(msg(4))
	require.Equal(t, span(1, 6), f.waitGot(t, 6), "2, 3 read from the history, and 5, 6 with them")
	tr.Receive(msg(5)) // arrives late: a repeat
	tr.Receive(msg(6))
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, span(1, 6), f.got)
}

// TestBehind: after a reconnect the history is read with no new message
// to show the gap, and a failed read is tried again.
func TestBehind(t *testing.T) {
	t.Parallel()
	f := newFake(10)
	tr := f.start(t, 2) // subscribed when the topic was at 2
	tr.Receive(msg(3))
	f.waitGot(t, 1)
	f.mu.Lock()
	f.failReads = 2
	f.mu.Unlock()
	tr.Behind()
	require.Equal(t, span(3, 10), f.waitGot(t, 8))
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, 3, f.reads, "two failed reads, then one that worked")
	require.Empty(t, f.fails)
}

// TestNotCovered: what the history lost is reported, and delivery goes on.
func TestNotCovered(t *testing.T) {
	t.Parallel()
	f := newFake(10)
	f.log, f.first = f.log[5:], 6 // 1..5 trimmed
	tr := f.start(t, 0)
	tr.Receive(msg(1))
	tr.Receive(msg(8))
	require.Equal(t, []uint64{1, 8}, f.waitGot(t, 2))
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.fails, 1)
	require.ErrorIs(t, f.fails[0], pubsub.ErrNotCovered)
}
