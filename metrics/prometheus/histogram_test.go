package prometheus

import (
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// TestHistMatchesPrometheus: hist exposes what a prom.Histogram with the
// same buckets exposes for the same observations, bounds included (a
// value equal to a bound counts in that bucket).
func TestHistMatchesPrometheus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		les    []float64
		scale  float64
		values []int64 // in 1/scale units
	}{
		{"fanout", FanoutBuckets, 1, []int64{0, 0, 1, 2, 10, 11, 100, 101, 1000, 10000, 100000, 100001, 5}},
		{"write ns", WriteBuckets, 1e-9, []int64{
			0, 99_999, 100_000, 100_001, 250_000, 250_001, int64(time.Millisecond), int64(3 * time.Millisecond),
			int64(time.Second), int64(10 * time.Second), int64(11 * time.Second), 1,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref := prom.NewHistogram(prom.HistogramOpts{Name: "h", Help: "h", Buckets: tc.les})
			h := newHist(prom.NewDesc("h", "h", nil, nil), tc.les, tc.scale)
			for _, v := range tc.values {
				ref.Observe(float64(v) * tc.scale)
				h.observe(v)
			}
			var want, got dto.Metric
			require.NoError(t, ref.Write(&want))
			require.NoError(t, h.metric().Write(&got))
			require.Equal(t, want.GetHistogram().GetSampleCount(), got.GetHistogram().GetSampleCount(), "count")
			require.InDelta(t, want.GetHistogram().GetSampleSum(), got.GetHistogram().GetSampleSum(), 1e-9, "sum")
			require.Len(t, got.GetHistogram().GetBucket(), len(tc.les))
			for i, b := range want.GetHistogram().GetBucket() {
				g := got.GetHistogram().GetBucket()[i]
				require.Equal(t, b.GetUpperBound(), g.GetUpperBound(), "bound %d", i)
				require.Equal(t, b.GetCumulativeCount(), g.GetCumulativeCount(), "bucket le=%g", b.GetUpperBound())
			}
		})
	}
}
