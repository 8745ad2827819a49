package peerrun_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/peerrun"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The last goroutine out finishes the peer, once, with the first reason
// recorded, and only after the reader has ended.
func TestFinishOnceAfterReader(t *testing.T) {
	t.Parallel()
	var finishes atomic.Int32
	var got anyws.CloseInfo
	release := make(chan struct{})
	flushed := make(chan struct{}, 8)
	r := &peerrun.Runner{
		Flush: func() bool {
			flushed <- struct{}{}
			<-release
			return true
		},
		Finish: func(c anyws.CloseInfo) { got = c; finishes.Add(1) },
	}
	r.Notify()
	<-flushed
	r.Notify() // while writing: the writer looks again
	require.True(t, r.End(anyws.CloseInfo{Code: 4000}))
	require.False(t, r.End(anyws.CloseInfo{Code: 4001}), "the first reason wins")
	r.ReaderDone()
	require.Zero(t, finishes.Load(), "the writer is still out")
	close(release)
	require.Eventually(t, func() bool { return finishes.Load() == 1 }, 10*time.Second, time.Millisecond)
	require.Equal(t, anyws.StatusCode(4000), got.Code)
	r.Notify()
	require.False(t, r.Enter(), "nothing starts once the reader is done")
	require.Equal(t, int32(1), finishes.Load())
}

// A timer callback that entered keeps the peer from finishing until it
// leaves; a writer that fails stops the timer and further writers.
func TestEnterLeaveAndQuit(t *testing.T) {
	t.Parallel()
	var finishes atomic.Int32
	var flushes atomic.Int32
	r := &peerrun.Runner{
		Flush:  func() bool { flushes.Add(1); return false },
		Finish: func(anyws.CloseInfo) { finishes.Add(1) },
	}
	require.True(t, r.Enter())
	r.Notify()
	require.Eventually(t, func() bool {
		if r.Enter() {
			r.Leave()
			return false
		}
		return true
	}, 10*time.Second, time.Millisecond, "the writer quit: the peer is over")
	require.Equal(t, int32(1), flushes.Load())
	fired := make(chan struct{}, 1)
	r.Arm(time.Millisecond, func() { fired <- struct{}{} })
	r.ReaderDone()
	require.Zero(t, finishes.Load(), "the timer callback is still in")
	r.Leave()
	require.Equal(t, int32(1), finishes.Load())
	select {
	case <-fired:
		t.Fatal("Arm after the peer was over started a timer")
	case <-time.After(20 * time.Millisecond):
	}
}
