package main_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/browsertest"
)

// TestMain stops the shared browser of the browser tests and fails on
// leaked goroutines.
func TestMain(m *testing.M) { browsertest.Main(m) }
