package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowBest: the best control is the highest on ↑ rows and the lowest
// on ↓ rows, never anyws, never a failed run; the ratio is anyws ÷ it.
func TestRowBest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		higher bool
		values map[string]float64
		best   string
		ratio  float64 // NaN: none
	}{
		{"higher is better", true, map[string]float64{"anyws": 300, "gorilla": 200, "coder": 100}, "gorilla", 1.5},
		{"lower is better", false, map[string]float64{"anyws": 3, "gorilla": 2, "coder": 1}, "coder", 3},
		{"a failed control is skipped", false, map[string]float64{"anyws": 2, "gorilla": math.NaN(), "coder": 4}, "coder", 0.5},
		{"anyws failed", true, map[string]float64{"anyws": math.NaN(), "coder": 4}, "coder", math.NaN()},
		{"no control", true, map[string]float64{"anyws": 1}, "", math.NaN()},
		{"best is 0", false, map[string]float64{"anyws": 1, "coder": 0}, "coder", math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := row{higherBetter: tc.higher, values: tc.values}
			name, _, _ := r.best()
			require.Equal(t, tc.best, name)
			if math.IsNaN(tc.ratio) {
				require.True(t, math.IsNaN(r.ratio()), "no ratio, got %v", r.ratio())
			} else {
				require.InDelta(t, tc.ratio, r.ratio(), 1e-9)
			}
		})
	}
}

// TestTablePrint: one column per implementation; "—" where it does not
// support the scenario, "✗" where its run failed.
func TestTablePrint(t *testing.T) {
	t.Parallel()
	tb := &table{impls: []string{"anyws", "gorilla", "gosse"}, rows: []row{{
		scenario: "s", transport: "websocket", metric: "p99 latency ms",
		values: map[string]float64{"anyws": 2, "gorilla": math.NaN()},
	}}}
	var b bytes.Buffer
	tb.print(&b)
	require.Contains(t, b.String(), "| anyws | gorilla | gosse | best control |")
	require.Contains(t, b.String(), "| s | websocket | p99 latency ms ↓ | 2.00 | ✗ | — | — | — |")
}
