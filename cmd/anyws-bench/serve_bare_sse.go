package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/anyws/anyws/internal/sse"
)

// bareSSEImpl is the strongest hand-written net/http SSE broadcaster we
// know: a publish encodes the frame once and queues a pointer to it on
// each subscriber's channel (8 bytes a slot); the request goroutine
// drains up to 64 frames, writes them with one Write and flushes once
// per batch. The write deadline is refreshed only when less than half of
// it is left, so a busy stream does not pay a deadline per write, yet no
// write ever runs without one. A full queue closes the subscriber.
//
// The bidirectional route speaks crossws's protocol (crossws-id event,
// x-crossws-id uplink POSTs, framed streaming uplink), so the same
// websocketsse clients drive it and anyws in the chat room.
type bareSSEImpl struct {
	cfg  serverConfig
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex
	subs   map[*sseSub]struct{}
	tokens map[string]*sseSub
}

// sseSub is one stream's queue of pre-encoded frames.
type sseSub struct {
	send     chan *[]byte
	kick     chan struct{} // closed when the queue overflowed
	kickOnce sync.Once
}

// bareSSEBatch is how many frames one Write carries at most.
const bareSSEBatch = 64

func newBareSSEImpl(cfg serverConfig) impl {
	return &bareSSEImpl{
		cfg: cfg, done: make(chan struct{}),
		subs: make(map[*sseSub]struct{}), tokens: make(map[string]*sseSub),
	}
}

func (s *sseSub) offer(f *[]byte) {
	select {
	case s.send <- f:
	default:
		s.kickOnce.Do(func() { close(s.kick) })
	}
}

func (b *bareSSEImpl) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) { b.serve(w, r, false) })
	mux.HandleFunc("GET /bsse", func(w http.ResponseWriter, r *http.Request) { b.serve(w, r, true) })
	mux.HandleFunc("POST /bsse", b.serveUplink)
}

// fanOut queues frame f for every subscriber but from.
func (b *bareSSEImpl) fanOut(f *[]byte, from *sseSub) {
	b.mu.RLock()
	for s := range b.subs {
		if s != from {
			s.offer(f)
		}
	}
	b.mu.RUnlock()
}

func (b *bareSSEImpl) publish(payload []byte) {
	f := encodeEvent(payload)
	b.fanOut(&f, nil)
}

func encodeEvent(payload []byte) []byte {
	ev, _ := sse.AppendEvent(make([]byte, 0, len(payload)+24), sse.Event{Type: "message", Data: payload})
	return ev
}

func (b *bareSSEImpl) peers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

func (b *bareSSEImpl) shutdown(ctx context.Context) { closeAndWait(ctx, b.done, &b.wg) }

func (b *bareSSEImpl) serve(w http.ResponseWriter, r *http.Request, bidirectional bool) {
	b.wg.Add(1)
	defer b.wg.Done()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	var token string
	if bidirectional {
		var raw [16]byte
		_, _ = rand.Read(raw[:])
		token = hex.EncodeToString(raw[:])
		h.Set("X-Crossws-Id", token)
	}
	w.WriteHeader(http.StatusOK)
	if token != "" {
		ev, _ := sse.AppendEvent(nil, sse.Event{Type: "crossws-id", Data: []byte(token)})
		_, _ = w.Write(ev)
	}
	if rc.Flush() != nil {
		return
	}
	s := &sseSub{send: make(chan *[]byte, b.cfg.queue), kick: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	if token != "" {
		b.tokens[token] = s
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs, s)
		delete(b.tokens, token)
		b.mu.Unlock()
	}()
	var buf []byte
	var deadline time.Time
	for {
		select {
		case f := <-s.send:
			buf = append(buf[:0], *f...)
		drain:
			for n := 1; n < bareSSEBatch; n++ {
				select {
				case f := <-s.send:
					buf = append(buf, *f...)
				default:
					break drain
				}
			}
			if now := time.Now(); deadline.Sub(now) < b.cfg.writeTimeout/2 {
				deadline = now.Add(b.cfg.writeTimeout)
				_ = rc.SetWriteDeadline(deadline)
			}
			_, err := w.Write(buf)
			if err == nil {
				err = rc.Flush()
			}
			if err != nil {
				return
			}
			if cap(buf) > 64<<10 {
				buf = nil // a burst's buffer is not kept by an idle stream
			}
		case <-s.kick:
			return
		case <-b.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// serveUplink takes a bidirectional client's messages: one per POST, or
// SSE events on a streaming POST (text/event-stream).
func (b *bareSSEImpl) serveUplink(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	s := b.tokens[r.Header.Get("X-Crossws-Id")]
	b.mu.RUnlock()
	if s == nil {
		http.Error(w, "anyws-bench: unknown x-crossws-id: open the stream first", http.StatusNotFound)
		return
	}
	deliver := func(data []byte) {
		f := encodeEvent(data)
		s.offer(&f)
		b.fanOut(&f, s)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
		p := sse.NewParser(r.Body, 1<<20)
		for {
			ev, err := p.Next()
			if err != nil {
				break
			}
			deliver(ev.Data)
		}
	} else {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "anyws-bench: read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		deliver(data)
	}
	w.WriteHeader(http.StatusNoContent)
}
