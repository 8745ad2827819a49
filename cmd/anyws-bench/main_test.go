package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package on leaked goroutines, like every test
// package of the repository.
// The tests that start child processes (the multi-node huge run) start
// this test binary: with childEnv set, it is the tool's main instead.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
