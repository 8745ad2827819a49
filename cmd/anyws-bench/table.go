package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// row is one line of the results: a metric for every implementation that
// ran it. An implementation without a value shows "—": it does not
// support the scenario (no made-up figure).
type row struct {
	scenario, transport, metric string
	higherBetter                bool
	values                      map[string]float64
}

// best is the best control's name and value: the highest for a
// higher-is-better metric, else the lowest. ok is false without any.
func (r row) best() (name string, v float64, ok bool) {
	for _, n := range sortedKeys(r.values) {
		x := r.values[n]
		if n == "anyws" || math.IsNaN(x) {
			continue
		}
		if !ok || (r.higherBetter && x > v) || (!r.higherBetter && x < v) {
			name, v, ok = n, x, true
		}
	}
	return name, v, ok
}

// ratio is anyws ÷ the best control; NaN when either is missing or 0.
func (r row) ratio() float64 {
	a, okA := r.values["anyws"]
	_, b, okB := r.best()
	if !okA || !okB || b == 0 {
		return math.NaN()
	}
	return a / b
}

func (r row) direction() string {
	if r.higherBetter {
		return "↑"
	}
	return "↓"
}

// table collects rows and notes and prints them as Markdown, the form
// docs/performance.md shows.
type table struct {
	impls []string // columns: anyws first, then the controls in run order
	rows  []row
	notes []string
}

func (t *table) add(r row) {
	t.rows = append(t.rows, r)
	var b strings.Builder
	fmt.Fprintf(&b, "  %s over %s: %s %s:", r.scenario, r.transport, r.metric, r.direction())
	for _, n := range t.impls {
		if v, ok := r.values[n]; ok {
			fmt.Fprintf(&b, " %s %s,", n, num(v))
		}
	}
	name, _, _ := r.best()
	fmt.Fprintf(&b, " anyws ÷ best (%s) %s", name, ratioText(r.ratio()))
	fmt.Println(b.String())
}

func (t *table) note(s string) {
	t.notes = append(t.notes, s)
	fmt.Println("  " + s)
}

func (t *table) print(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "↑: higher is better, anyws leads where anyws ÷ best > 1. ↓: lower is better, anyws leads where anyws ÷ best < 1.")
	fmt.Fprintln(w, "best: the best control in the row; —: the implementation does not support the scenario; ✗: its run failed (see the notes).")
	fmt.Fprintln(w)
	fmt.Fprint(w, "| scenario | transport | metric |")
	for _, n := range t.impls {
		fmt.Fprintf(w, " %s |", n)
	}
	fmt.Fprintln(w, " best control | anyws ÷ best (↑: >1 leads, ↓: <1 leads) |")
	fmt.Fprint(w, "|---|---|---|")
	for range t.impls {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w, "---|---:|")
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s | %s %s |", r.scenario, r.transport, r.metric, r.direction())
		for _, n := range t.impls {
			if v, ok := r.values[n]; ok {
				fmt.Fprintf(w, " %s |", num(v))
			} else {
				fmt.Fprint(w, " — |")
			}
		}
		name, _, ok := r.best()
		if !ok {
			name = "—"
		}
		fmt.Fprintf(w, " %s | %s |\n", name, ratioText(r.ratio()))
	}
	for _, n := range t.notes {
		fmt.Fprintln(w, "\n"+n)
	}
}

func ratioText(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2fx", x)
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "✗"
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func sortedKeys(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
