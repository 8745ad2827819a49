package anyws_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
)

// countConn is the cheapest transport: it counts what it is asked to
// write. The benchmarks measure the core (queues, writer, fan-out).
type countConn struct {
	n atomic.Int64
	s *anyws.Session
}

func (c *countConn) Write(b anyws.Batch) error {
	c.n.Add(int64(len(b.Payloads)))
	return nil
}
func (c *countConn) WriteClose(anyws.StatusCode, string) error { return nil }
func (c *countConn) KeepAlive() error                          { return nil }
func (c *countConn) Abort()                                    {}

func benchPeers(b *testing.B, hub *anyws.Hub, n int) []*countConn {
	return benchPeersWith(b, hub, n, nil)
}

// benchPeersWith attaches n peers with o: Resumable ones keep what was
// written for replay, as over SSE.
func benchPeersWith(b *testing.B, hub *anyws.Hub, n int, o *anyws.AttachOptions) []*countConn {
	conns := make([]*countConn, n)
	for i := range conns {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
		hs, err := hub.Accept(r, nil, "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		c := &countConn{}
		if c.s, err = hub.Attach(hs, c, o); err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	return conns
}

func closePeers(conns []*countConn) {
	for _, c := range conns {
		c.s.Closed(anyws.CloseInfo{Code: anyws.StatusNormalClosure})
	}
}

// BenchmarkHubPublish is one Hub.Publish reaching n subscribers, each
// written by the core's writer. allocs/op must be the same for every n:
// the message is wrapped in one Payload shared by all queues.
func BenchmarkHubPublish(b *testing.B) {
	benchHubPublish(b, nil, 1, 100, 1000, 10000)
}

// BenchmarkHubPublishReplay is BenchmarkHubPublish with resumable peers
// (SSE's, by default), whose queues keep written messages for replay
// and so never empty. Not at 1 subscriber: there the publisher
// outruns the one writer by the queue's bound, and the peer is closed.
func BenchmarkHubPublishReplay(b *testing.B) {
	benchHubPublish(b, &anyws.AttachOptions{Resumable: true}, 100, 1000)
}

func benchHubPublish(b *testing.B, o *anyws.AttachOptions, subscribers ...int) {
	for _, n := range subscribers {
		b.Run(fmt.Sprint("subscribers=", n), func(b *testing.B) {
			hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("room") }}, nil)
			defer hub.Close()
			conns := benchPeersWith(b, hub, n, o)
			defer closePeers(conns)
			msg := anyws.Text(`{"user":"alice","text":"hello, world"}`)
			// Warm up, untimed: what each peer allocates once (its
			// writer's start and timer, its queue's array growing to
			// the backlog a publisher running flat out builds) is not
			// a cost per publish, and at 10,000 subscribers b.N is too
			// small to hide it.
			sent := 0
			for range warmPublishes {
				if err := hub.Publish("room", msg); err != nil {
					b.Fatal(err)
				}
				sent++
			}
			waitCounts(b, conns, sent)
			b.ReportAllocs()
			for b.Loop() {
				if err := hub.Publish("room", msg); err != nil {
					b.Fatal(err)
				}
				sent++
			}
			waitCounts(b, conns, sent)
		})
	}
}

// warmPublishes is how many publishes warm BenchmarkHubPublish up.
const warmPublishes = 200

func waitCounts(b *testing.B, conns []*countConn, want int) {
	deadline := time.Now().Add(time.Minute)
	for _, c := range conns {
		for c.n.Load() != int64(want) {
			if time.Now().After(deadline) {
				b.Fatalf("a subscriber got %d messages, want %d", c.n.Load(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// BenchmarkPeerSend is Send to one peer and its writer writing it: the
// per-message cost of a direct reply (the chat echo).
func BenchmarkPeerSend(b *testing.B) {
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	conns := benchPeers(b, hub, 1)
	defer closePeers(conns)
	p := conns[0].s.Peer()
	msg := anyws.Text("hello")
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		if err := p.Send(msg); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	waitCounts(b, conns, sent)
}
