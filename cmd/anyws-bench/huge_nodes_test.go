package main

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHugeNodesDeliver runs the multi-node huge run small: 2 anyws node
// processes sharing a redis-server, 2 client processes, 200 connections
// (half WebSocket, half SSE), 2 events published through the first node.
// It checks delivery (every event at every connection, once, in order,
// across the broker), not speed, with the broker in Pub/Sub mode and
// with history and peer records (-huge-history).
func TestHugeNodesDeliver(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH (make deps installs it): the multi-node huge run needs it for its broker")
	}
	t.Parallel()
	for _, history := range []bool{false, true} {
		t.Run(fmt.Sprint("history ", history), func(t *testing.T) {
			t.Parallel()
			res, err := runHugeNodes(hugeNodesConfig{conns: 200, nodes: 2, events: 2, rate: 10, timeout: 3 * time.Minute, history: history})
			require.NoError(t, err)
			require.Equal(t, 200*2, res.delivered)
			require.Zero(t, res.lost)
			require.Zero(t, res.reordered)
			require.Positive(t, res.connectRate)
			require.Positive(t, res.p50)
			require.Len(t, res.byEvent, 2, "p50, p99 and max of each event")
		})
	}
}

func TestHugeNodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, flag, want int }{
		{18_000, 0, 0},     // fits one process: the single-process run
		{18_001, 0, 2},     // just over
		{100_000, 0, 6},    // the target: 16,667 per node
		{18_000, 1, 1},     // asked for: one node behind Redis
		{100_000, 8, 8},    // asked for
		{1_000_000, 0, 56}, // many
		{200, 2, 2},        // the test above
		{5_000, 0, 0},      // small
		{36_000, 0, 2},     // exactly two
		{36_001, 0, 3},     // just over two
	} {
		require.Equal(t, tc.want, hugeNodes(tc.n, tc.flag), "hugeNodes(%d, %d)", tc.n, tc.flag)
	}
}
