package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileCPU profiles the child server's CPU when the environment asks,
// for finding where a scenario's time goes:
//
//	ANYWS_BENCH_CPUPROFILE=/tmp/anyws.prof ANYWS_BENCH_PROFILE_IMPL=anyws \
//	  go run -C cmd/anyws-bench . -scenarios lowrate -short
//
// Every child of that implementation writes the file anew, so the file
// holds the last run's profile: pick the run with -scenarios,
// -transports and the scenario's flags (-rates, -subs, -clients). It returns the function that stops
// profiling, or nil.
func profileCPU(impl string) func() {
	file := os.Getenv("ANYWS_BENCH_CPUPROFILE")
	if file == "" || impl != os.Getenv("ANYWS_BENCH_PROFILE_IMPL") {
		return nil
	}
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "anyws-bench: cpu profile:", err)
		return nil
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "anyws-bench: cpu profile:", err)
		_ = f.Close()
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
