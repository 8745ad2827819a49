//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAllowedCPUs(t *testing.T) {
	for in, want := range map[string][]int{"0-1": {0, 1}, "3": {3}, "0-2,5,7-8": {0, 1, 2, 5, 7, 8}} {
		got, err := allowedCPUs("Name:\tx\nCpus_allowed_list:\t" + in + "\nMems_allowed:\t1\n")
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "x", "2-1", "1-"} {
		_, err := allowedCPUs("Cpus_allowed_list:\t" + in + "\n")
		require.Error(t, err, "%q", in)
	}
}

// TestPinnedServer: with -pin's CPU set, a server child runs on that CPU
// only, and serves. Not parallel: it sets the package's serverCPUs,
// which every server start reads.
func TestPinnedServer(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("no taskset")
	}
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	cpus, err := allowedCPUs(string(status))
	require.NoError(t, err)
	serverCPUs = fmt.Sprint(cpus[len(cpus)-1])
	t.Cleanup(func() { serverCPUs = "" })
	s, err := startServer(serverConfig{impl: "anyws", queue: 64, writeTimeout: 5 * time.Second})
	require.NoError(t, err)
	defer s.stop()
	status, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	require.NoError(t, err)
	got, err := allowedCPUs(string(status))
	require.NoError(t, err)
	require.Equal(t, cpus[len(cpus)-1:], got, "the server's CPUs")
	r, err := runBroadcast(s, broadcastConfig{transport: "websocket", subs: 3, events: 20, size: 64}, 30*time.Second)
	require.NoError(t, err)
	require.NoError(t, checkDelivery(r))
	require.Equal(t, 3*20, r.delivered)
}
