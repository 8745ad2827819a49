package anyws_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anyws/anyws"
)

// BenchmarkHubPublish is one Hub.Publish reaching n subscribers through
// the adapter seam, with each subscriber's writer taking its batch as an
// adapter does. allocs/op must be the same for every n: the message is
// wrapped in one Frame shared by all queues.
func BenchmarkHubPublish(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprint("subscribers=", n), func(b *testing.B) {
			hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("room") }}, nil)
			defer hub.Close()
			sessions := make([]*anyws.Session, n)
			for i := range sessions {
				r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
				u, err := hub.Upgrade(r, nil, "bench", nil)
				if err != nil {
					b.Fatal(err)
				}
				if sessions[i], err = hub.Connect(u); err != nil {
					b.Fatal(err)
				}
			}
			defer func() {
				for _, s := range sessions {
					s.Finish(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
				}
			}()
			msg := anyws.Text(`{"user":"alice","text":"hello, world"}`)
			// Warm up: grow every queue's two backing arrays once, as a
			// running server has, so the loop measures the steady state.
			for range 2 {
				for range 64 {
					_ = hub.Publish("room", msg)
				}
				drain(b, sessions, 64)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := hub.Publish("room", msg); err != nil {
					b.Fatal(err)
				}
				// Writers drain every 64 publishes, well inside the queue
				// bound, so the queues' backing arrays are reused.
				if i++; i%64 == 0 {
					drain(b, sessions, 64)
				}
			}
			drain(b, sessions, i%64)
		})
	}
}

func drain(b *testing.B, sessions []*anyws.Session, want int) {
	for _, s := range sessions {
		select {
		case <-s.Wake():
		default:
		}
		batch := s.Take()
		if len(batch) != want {
			b.Fatalf("a subscriber got %d frames, want %d", len(batch), want)
		}
		s.Written(batch)
	}
}

// BenchmarkPeerSend is Send to one peer plus the writer taking it: the
// per-message cost of a direct reply (the chat echo).
func BenchmarkPeerSend(b *testing.B) {
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	u, err := hub.Upgrade(r, nil, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	s, err := hub.Connect(u)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Finish(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
	p := s.Peer()
	msg := anyws.Text("hello")
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Send(msg); err != nil {
			b.Fatal(err)
		}
		s.Written(s.Take())
	}
}
