package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package on leaked goroutines, like every test
// package of the repository.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
