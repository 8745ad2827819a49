package anyws_test

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// A publish allocates its message and the payload every subscriber
// shares, and nothing for options it was not given: the options struct
// escaped and cost every publish an allocation. Not parallel:
// AllocsPerRun counts every goroutine's allocations.
func TestPublishAllocations(t *testing.T) {
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	allocs := testing.AllocsPerRun(200, func() {
		if err := hub.Publish("nobody", "hello"); err != nil {
			t.Fatal(err)
		}
	})
	require.LessOrEqual(t, allocs, 2.0, "allocations per publish: the message's bytes and its payload")
}
