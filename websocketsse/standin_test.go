package websocketsse_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// This file is a stand-in SSE server for what the real adapter does not
// do on purpose: drop streams mid-way, answer 204 or a wrong Content-Type,
// send hostile streams. Each test scripts it with a function per GET.

// standin serves GETs with get(n, w, r) for the n-th GET (from 1) and
// POSTs with post.
type standin struct {
	gets chan *http.Request // each GET, for the test to inspect
	get  func(n int, w http.ResponseWriter, r *http.Request)
	post func(w http.ResponseWriter, r *http.Request)
}

func serveStandin(t *testing.T, s *standin) (string, *http.Client) {
	s.gets = make(chan *http.Request, 16)
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			s.gets <- r
			s.get(int(n.Add(1)), w, r)
		case http.MethodPost:
			if s.post == nil {
				http.Error(w, "anyws: no uplink here", http.StatusMethodNotAllowed)
				return
			}
			s.post(w, r)
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

// openStream writes the stream's headers and the token event.
func openStream(w http.ResponseWriter, token string, retryMS int) {
	w.Header().Set("Content-Type", "text/event-stream")
	if token != "" {
		w.Header().Set("X-Crossws-Id", token)
	}
	w.WriteHeader(http.StatusOK)
	if retryMS > 0 {
		_, _ = fmt.Fprintf(w, "retry: %d\n\n", retryMS)
	}
	if token != "" {
		_, _ = fmt.Fprintf(w, "event: crossws-id\ndata: %s\n\n", token)
	}
	w.(http.Flusher).Flush()
}

func sendEvent(w http.ResponseWriter, id int, data string) {
	_, _ = fmt.Fprintf(w, "id: %d\nevent: message\ndata: %s\n\n", id, data)
	w.(http.Flusher).Flush()
}

// holdOpen keeps the stream open until the client goes away.
func holdOpen(r *http.Request) { <-r.Context().Done() }

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return string(b)
}
