package splitread_test

import (
	"io"
	"testing"

	"github.com/anyws/anyws/internal/splitread"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWaysReadBack: every chunking reads back the input exactly.
func TestWaysReadBack(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 600} {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i)
		}
		ways := splitread.Ways(in, 1)
		if n > 1 {
			require.Greater(t, len(ways), 2+min(n-1, 64)-1)
		}
		for _, w := range ways {
			got, err := io.ReadAll(w.New())
			require.NoError(t, err, w.Name)
			require.Equal(t, in, got, w.Name)
		}
	}
}
