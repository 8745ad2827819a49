package recovery_test

import (
	"os"
	"time"
)

// Sizes of the fault runs. make test runs them small, so that they take
// seconds on a loaded 2-core machine; ANYWS_RECOVERY_FULL=1 runs the
// size the recovery issue states (100 subscribers, 100,000 published
// messages, 50 senders of 1,000), which takes minutes:
//
//	ANYWS_RECOVERY_FULL=1 go test -race -timeout 60m ./internal/test/recovery/
var (
	subscribers = 10
	messages    = 3000
	senders     = 5
	sends       = 300
	wait        = 60 * time.Second
)

func init() {
	if os.Getenv("ANYWS_RECOVERY_FULL") != "" {
		subscribers, messages, senders, sends = 100, 100_000, 50, 1000
		wait = 30 * time.Minute
	}
}
