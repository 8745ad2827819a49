//go:build !race

package main

import "net/http"

// goSSEWriter is w as it is: see serve_gosse_race.go.
func goSSEWriter(w http.ResponseWriter) http.ResponseWriter { return w }
