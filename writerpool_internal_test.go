package anyws

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriterPoolStuckCheckWhileWorkerWakes: the stuck check stays armed
// while links wait, also when a worker counts as idle, signaled by
// submit but not yet running. Disarmed there, it was armed again only
// by the next submit: when the woken worker took a link whose write
// blocked (a stalled HTTP/2 stream), the links behind it waited for that
// write's deadline (TestStalledH2StreamsDoNotHoldUpOthers timed out on
// a loaded machine).
func TestWriterPoolStuckCheckWhileWorkerWakes(t *testing.T) {
	w := &writerPool{}
	w.cond.L = &w.mu
	w.mu.Lock()
	w.queue = []*link{{}}    // a link waits,
	w.workers, w.idle = 1, 1 // for a worker that was signaled and has not run yet
	w.mu.Unlock()
	w.checkStuck()
	w.mu.Lock()
	armed := w.stuckArm
	w.queue, w.closed = w.queue[:0], true
	stuck := w.stuck
	w.mu.Unlock()
	if stuck != nil {
		stuck.Stop()
	}
	require.True(t, armed, "the stuck check is armed while a link waits for a worker that is waking")
}
