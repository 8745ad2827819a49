//go:build unix

package anyws_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process used (user and system, every
// thread): a benchmark that reports it per op measures what the work
// cost, not how long it waited for a CPU on a machine others share.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time since start per op, as cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(ops), "cpu-ns/op")
	}
}
