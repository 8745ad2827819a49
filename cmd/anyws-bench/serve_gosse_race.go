//go:build race

package main

import (
	"net/http"
	"sync"
)

// Under the race detector, go-sse's writes are serialized: go-sse v0.12
// flushes a subscriber's stream from the publishing goroutine while its
// ServeHTTP, once the client is gone, writes an error with http.Error on
// its own goroutine (a data race in go-sse, seen over h2c in make test).
// Benchmarks are built without -race and run go-sse as it is.
func goSSEWriter(w http.ResponseWriter) http.ResponseWriter { return &lockedWriter{w: w} }

type lockedWriter struct {
	mu sync.Mutex
	w  http.ResponseWriter
}

func (l *lockedWriter) Header() http.Header { return l.w.Header() }

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) WriteHeader(code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.WriteHeader(code)
}

func (l *lockedWriter) FlushError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return http.NewResponseController(l.w).Flush()
}

func (l *lockedWriter) Flush() { _ = l.FlushError() }
