package browsertest_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }
