package recovery_test

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sizes of the fault runs. make test runs them small, so that they take
// seconds on a loaded 2-core machine; ANYWS_RECOVERY_FULL=1 runs the
// size the recovery issue states (100 subscribers, 100,000 published
// messages, 50 senders of 1,000), which takes minutes:
//
//	ANYWS_RECOVERY_FULL=1 go test -race -timeout 60m ./internal/test/recovery/
//
// ANYWS_RECOVERY_MESSAGES=n then sets the published messages alone: at
// full size the cross-node run on NATS takes far longer than the others
// (each of its many thousand moves reads the history through a JetStream
// consumer of its own, and publishes slow down meanwhile).
var (
	subscribers = 10
	messages    = 3000
	senders     = 5
	sends       = 300
	wait        = 120 * time.Second
)

func init() {
	if os.Getenv("ANYWS_RECOVERY_FULL") != "" {
		subscribers, messages, senders, sends = 100, 100_000, 50, 1000
		wait = 30 * time.Minute
	}
	if n, err := strconv.Atoi(os.Getenv("ANYWS_RECOVERY_MESSAGES")); err == nil && n > 0 {
		messages = n
	}
}

// requireUplinkOnce waits until senders peers each got sends messages at
// the Message hook (got: by peer id, under mu), and checks that each got
// 1..sends exactly once, in order.
func requireUplinkOnce(t *testing.T, mu *sync.Mutex, got map[string][]string) {
	t.Helper()
	want := make([]string, sends)
	for i := range want {
		want[i] = strconv.Itoa(i + 1)
	}
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		full := 0
		for _, ms := range got {
			if len(ms) >= sends {
				full++
			}
		}
		return full >= senders
	}
	if !assert.Eventually(t, done, wait, 10*time.Millisecond, "waiting for every sender's %d messages at the Message hook", sends) {
		mu.Lock()
		for id, ms := range got {
			t.Logf("peer %s: %d messages, the last %v", id, len(ms), ms[max(0, len(ms)-5):])
		}
		mu.Unlock()
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Fatal("goroutines:\n" + b.String())
	}
	mu.Lock()
	defer mu.Unlock()
	for id, ms := range got {
		require.Equal(t, strings.Join(want, ","), strings.Join(ms, ","), "peer %s: uplink messages lost, duplicated or reordered", id)
	}
}

// dumpOnFailure logs every goroutine's stack when the test failed, so a
// fault run that hangs on a loaded CI machine says where.
func dumpOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Log("goroutines at the failure:\n" + b.String())
		}
	})
}

// requireUplinkAtMostOnce checks, once the senders are done, that no
// peer's Message hook saw a number twice or out of order: across a
// node's death the uplink is at most once (what the dead node had not
// acknowledged is dropped by the client, which is told).
func requireUplinkAtMostOnce(t *testing.T, mu *sync.Mutex, got map[string][]string) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, senders, "one peer per sender")
	for id, ms := range got {
		last := 0
		for _, m := range ms {
			n, err := strconv.Atoi(m)
			require.NoError(t, err)
			require.Greater(t, n, last, "peer %s: %d after %d (duplicated or reordered)", id, n, last)
			last = n
		}
		t.Logf("peer %s: %d of %d messages delivered", id, len(ms), sends)
	}
}
