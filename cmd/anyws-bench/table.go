package main

import (
	"fmt"
	"io"
)

// row is one line of the results: a metric for anyws and its control.
type row struct {
	scenario, transport, metric string
	anyws, bare                 float64
	higherBetter                bool
}

// table collects rows and notes and prints them as Markdown, the form
// docs/performance.md shows.
type table struct {
	rows  []row
	notes []string
}

func (t *table) add(r row) {
	t.rows = append(t.rows, r)
	fmt.Printf("  %s over %s: %s anyws %s, %s %s, anyws/%s %.2fx\n",
		r.scenario, r.transport, r.metric, num(r.anyws), controlImpl, num(r.bare), controlImpl, ratio(r))
}

func (t *table) note(s string) {
	t.notes = append(t.notes, s)
	fmt.Println("  " + s)
}

func (t *table) print(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| scenario | transport | metric | anyws | %s control | anyws/control |\n", controlImpl)
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|")
	for _, r := range t.rows {
		better := "lower is better"
		if r.higherBetter {
			better = "higher is better"
		}
		fmt.Fprintf(w, "| %s | %s | %s (%s) | %s | %s | %.2fx |\n",
			r.scenario, r.transport, r.metric, better, num(r.anyws), num(r.bare), ratio(r))
	}
	for _, n := range t.notes {
		fmt.Fprintln(w, "\n"+n)
	}
}

func ratio(r row) float64 {
	if r.bare == 0 {
		return 0
	}
	return r.anyws / r.bare
}

func num(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
