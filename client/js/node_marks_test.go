package js_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// markedSSE is a hand-written anyws SSE server with marks, for
// TestNodeSSEMarks: each stream plays its part of the script (see
// stream) and it records the claim of every stream request and every
// uplink POST.
type markedSSE struct {
	mu      sync.Mutex
	gets    []sseClaim
	posts   []ssePost
	streams []*scriptedStream
}

// sseClaim is what a stream request claimed with: its Last-Event-Id,
// its X-Anyws-Marks header (nil when it had none) and its X-Anyws-Sent.
type sseClaim struct {
	LastEventID string
	Marks       *string
	Sent        string
}

type ssePost struct{ Token, Seq, Leave, Body string }

// scriptedStream is one stream: events to write (closed: end it), and
// done, closed once its handler returned.
type scriptedStream struct {
	events chan string
	end    sync.Once
	done   chan struct{}
}

func (s *scriptedStream) stop() { s.end.Do(func() { close(s.events) }) }

func hello(id, data string) string {
	return "event: " + sse.HelloEvent + "\nid: " + id + "\ndata: " + data + "\n\n"
}

func token(tok string) string { return "event: " + sse.TokenEvent + "\ndata: " + tok + "\n\n" }

// stream returns what stream i says first, and whether it ends then.
func stream(i int) (string, bool) {
	switch i {
	case 0: // a new peer; topic messages with marks, a direct one without, an older mark
		return hello("k:0", `{"resumed":false,"received":0,"marks":true}`) + token("tok0") +
			"id: k:1~AAAAAAAA5\ndata: m1\n\n" +
			"id: k:2~BBBBBBBB7\ndata: m2\n\n" +
			"id: k:3\ndata: m3\n\n" +
			"id: k:4~AAAAAAAA3\ndata: m4\n\n", false
	case 1: // the peer rebuilt on another node: the client's uplink numbering goes on from 8
		return hello("k:5", `{"resumed":true,"recovered":true,"received":7,"marks":true}`) + token("tok1"), false
	case 2: // a new peer, which gets a direct message; the stream drops
		return hello("j:0", `{"resumed":false,"reason":"unknown","received":0,"marks":true}`) + token("tok2") +
			"id: j:1\ndata: fresh\n\n", true
	default:
		return hello("j:1", `{"resumed":true,"mended":true,"gaps":["sports"],"received":0,"marks":true}`) + token("tok3"), false
	}
}

func (m *markedSSE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		m.post(w, r)
		return
	}
	claim := sseClaim{LastEventID: r.Header.Get(sse.LastEventIDHeader), Sent: r.Header.Get(sse.SentHeader)}
	if v, ok := r.Header[sse.MarksHeader]; ok {
		claim.Marks = &v[0]
	}
	s := &scriptedStream{events: make(chan string, 4), done: make(chan struct{})}
	defer close(s.done)
	m.mu.Lock()
	i := len(m.gets)
	m.gets = append(m.gets, claim)
	m.streams = append(m.streams, s)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	first, ends := stream(i)
	_, _ = io.WriteString(w, first)
	w.(http.Flusher).Flush()
	if ends {
		return
	}
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			_, _ = io.WriteString(w, ev)
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// post answers the uplink: p1 gets an answer (and an event back), p2
// (each time it is sent) none: its stream ends, then its connection is
// cut; p3 gets an answer, an event back, and its stream ends.
func (m *markedSSE) post(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := ssePost{Token: r.Header.Get(sse.TokenHeader), Seq: r.Header.Get(sse.SeqHeader), Leave: r.Header.Get(sse.LeaveHeader), Body: string(body)}
	m.mu.Lock()
	m.posts = append(m.posts, p)
	streams := m.streams
	m.mu.Unlock()
	switch {
	case p.Leave != "":
	case p.Token == "tok0" && p.Body == "p1":
		streams[0].events <- "id: k:5~BBBBBBBB8\ndata: ack p1\n\n"
	case p.Token == "tok0":
		streams[0].stop()
		<-streams[0].done
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
		return
	case p.Token == "tok1" && p.Body == "p3":
		streams[1].events <- "id: k:6~CCCCCCCC1\ndata: ack p3\n\n"
		streams[1].stop()
	default:
		http.Error(w, fmt.Sprintf("unexpected %+v", p), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// TestNodeSSEMarks drives the client's SSE recovery with marks against a
// hand-written server (the Go server's marks come separately): each
// topic message's id ends with "~<mark>"; the client claims with the
// id before it and an X-Anyws-Marks header holding the last offset per
// tag (an older mark ignored, a direct message's id without one), keeps
// them across a resume and forgets them for a new peer (the header
// present, empty, when there are none); the message's lastEventId stays
// the whole id. A recovered hello (resumed, recovered, received 7) gets
// the POST that had no answer reported unsent rather than sent again,
// and the next message numbered 8.
func TestNodeSSEMarks(t *testing.T) {
	t.Parallel()
	m := &markedSSE{}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t)
	out := nodetest.Run(t, ".", "node", "testdata/node-sse-marks.mjs", srv.URL+"/_ws")
	var res struct {
		Opens []struct {
			Resumed, Recovered, Lost, Mended bool
			Reason                           string
			Gaps                             []string
		}
		Messages []struct{ Data, LastEventID string }
		Unsent   []struct {
			Data      string
			Recovered bool
		}
		Close struct {
			Code     int
			WasClean bool
		}
	}
	require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)

	m.mu.Lock()
	gets, posts := m.gets, m.posts
	m.mu.Unlock()
	str := func(s string) *string { return &s }
	require.Equal(t, []sseClaim{
		{"", nil, ""},
		{"k:5", str("AAAAAAAA5 BBBBBBBB8"), "2"},
		{"k:6", str("AAAAAAAA5 BBBBBBBB8 CCCCCCCC1"), "8"},
		{"j:1", str(""), "0"},
	}, gets, "the claims: the id without its mark, the last mark per tag (kept across the recovery, forgotten for a new peer), the last number sent (p1 and p2; p3, numbered after the recovered hello's 7; none for the new peer)")

	var uplink []ssePost
	for _, p := range posts {
		if len(uplink) > 0 && p == uplink[len(uplink)-1] && p.Body == "p2" {
			continue // p2 sent again on its own connection, before the drop was seen
		}
		uplink = append(uplink, p)
	}
	require.Equal(t, []ssePost{
		{Token: "tok0", Seq: "1", Body: "p1"},
		{Token: "tok0", Seq: "2", Body: "p2"},
		{Token: "tok1", Seq: "8", Body: "p3"},
		{Token: "tok3", Leave: "1000", Body: "done"},
	}, uplink, "p2 is not sent to the recovered peer; p3 is numbered after the hello's received")

	type msg = struct{ Data, LastEventID string }
	require.Equal(t, []msg{
		{"m1", "k:1~AAAAAAAA5"},
		{"m2", "k:2~BBBBBBBB7"},
		{"m3", "k:3"},
		{"m4", "k:4~AAAAAAAA3"},
		{"ack p1", "k:5~BBBBBBBB8"},
		{"ack p3", "k:6~CCCCCCCC1"},
		{"fresh", "j:1"},
	}, res.Messages)
	require.Len(t, res.Opens, 4)
	require.False(t, res.Opens[0].Resumed)
	require.True(t, res.Opens[1].Resumed)
	require.True(t, res.Opens[1].Recovered)
	require.False(t, res.Opens[1].Lost)
	require.False(t, res.Opens[2].Resumed)
	require.True(t, res.Opens[2].Lost)
	require.Equal(t, "unknown", res.Opens[2].Reason)
	require.True(t, res.Opens[3].Resumed)
	require.False(t, res.Opens[3].Recovered)
	require.True(t, res.Opens[3].Mended, "a resume mended from the history says so")
	require.Equal(t, []string{"sports"}, res.Opens[3].Gaps)
	require.Empty(t, res.Opens[1].Gaps)
	require.False(t, res.Opens[1].Mended)
	require.Equal(t, []struct {
		Data      string
		Recovered bool
	}{{"p2", true}}, res.Unsent, "the POST without an answer is reported, saying the peer was recovered")
	require.Equal(t, 1000, res.Close.Code)
	require.True(t, res.Close.WasClean)
}
