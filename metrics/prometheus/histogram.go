package prometheus

import (
	"math"
	"sync/atomic"

	prom "github.com/prometheus/client_golang/prometheus"
)

// hist is a histogram of integer observations (subscribers per publish,
// nanoseconds per write), kept here rather than in a prom.Histogram
// because it is on the publish and write paths: an observation is a
// short scan of the bounds and two atomic adds, where a prom.Histogram
// takes four atomic operations, one of them a compare-and-swap loop on
// a float sum (measured: docs/performance.md, "Metrics on vs off").
// The count is the buckets' total, so a scrape always sees buckets and
// count agree; the sum may be one observation apart from them when a
// scrape and an observation cross (as Prometheus's rate() tolerates).
type hist struct {
	bounds []int64         // inclusive upper bounds, ascending
	les    []float64       // the same bounds, as exposed
	counts []atomic.Uint64 // one per bound, then +Inf; not cumulative
	sum    atomic.Int64    // of the observations, unscaled
	scale  float64         // exposed sum = sum × scale
	desc   *prom.Desc
	labels []string // its series' label values
}

// newHist makes a histogram exposing les (upper bounds, ascending) and
// the sum multiplied by scale; an observation v counts in the first
// bucket whose bound×(1/scale) is at least v.
func newHist(desc *prom.Desc, les []float64, scale float64, labels ...string) *hist {
	h := &hist{les: les, scale: scale, desc: desc, labels: labels, counts: make([]atomic.Uint64, len(les)+1)}
	for _, le := range les {
		x := le / scale // 0.00025/1e-9 is 249999.99999999997
		if r := math.Round(x); math.Abs(x-r) < 1e-6 {
			x = r
		}
		h.bounds = append(h.bounds, int64(math.Floor(x)))
	}
	return h
}

// observe counts v.
func (h *hist) observe(v int64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(v)
}

// metric is the histogram as a Prometheus sample, for a scrape.
func (h *hist) metric() prom.Metric {
	buckets := make(map[float64]uint64, len(h.les))
	var n uint64
	for i, le := range h.les {
		n += h.counts[i].Load()
		buckets[le] = n
	}
	n += h.counts[len(h.les)].Load()
	return prom.MustNewConstHistogram(h.desc, n, float64(h.sum.Load())*h.scale, buckets, h.labels...)
}
