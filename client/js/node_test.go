package js_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// TestNode: the client runs in Node too (fetch, EventTarget and streams
// are all it needs over SSE): without a WebSocket it falls back to SSE
// with reason "unavailable", echoes text and binary, and closes cleanly.
func TestNode(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { _ = p.Send("welcome " + p.Transport()) },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	srv := httptest.NewServer(auto.New(hub, nil))
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t) // fails with the command to run when Node is missing
	out := nodetest.Run(t, ".", "node", "testdata/node-client.mjs", srv.URL+"/_ws")
	var res struct {
		Transport, Uplink string
		Fallback          struct{ Reason, Message string }
		Got               []string
		Close             struct {
			Code          int
			WasClean      bool
			WillReconnect bool
		}
		ReadyState int
	}
	require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)
	require.Equal(t, "sse", res.Transport)
	require.Equal(t, "post", res.Uplink)
	require.Equal(t, "unavailable", res.Fallback.Reason)
	require.Equal(t, []string{"welcome sse", "hello", "bin:1,2,255"}, res.Got)
	require.Equal(t, 1000, res.Close.Code)
	require.True(t, res.Close.WasClean)
	require.False(t, res.Close.WillReconnect)
	require.Equal(t, 3, res.ReadyState)
	require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, 20*time.Second, 10*time.Millisecond)
}

// TestNodeGoodbye: in Node too, close(code, reason) over SSE tells a
// server that keeps dropped peers for a resume (a window far longer than
// the test) that the client leaves: the peer closes at once, with the
// client's code and reason.
func TestNodeGoodbye(t *testing.T) {
	t.Parallel()
	closed := make(chan anyws.CloseInfo, 1)
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
		Open:    func(p *anyws.Peer) { _ = p.Send("welcome " + p.Transport()) },
		Close:   func(_ *anyws.Peer, c anyws.CloseInfo) { closed <- c },
	}, &anyws.Options{ResumeWindow: 10 * time.Minute})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	srv := httptest.NewServer(auto.New(hub, nil))
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t)
	nodetest.Run(t, ".", "node", "testdata/node-client.mjs", srv.URL+"/_ws")
	select {
	case info := <-closed:
		require.Equal(t, anyws.StatusNormalClosure, info.Code)
		require.Equal(t, "bye", info.Reason)
	case <-time.After(20 * time.Second):
		require.FailNow(t, "the Close hook did not run: the goodbye should end the peer at once, not after the 10-minute window")
	}
}

// wsResumeResult is what testdata/node-ws-resume.mjs prints.
type wsResumeResult struct {
	URLs   []string
	Hellos []string
	Sent   [][]any
	Closed []*struct {
		Code   int
		Reason string
	}
	Opens []struct {
		Resumed, Recovered, Lost bool
		Reason                   string
	}
	Messages []string
	// Unsent: the length of each message reported unsent, or in the
	// marks scenario the message and whether the error said the peer
	// was recovered.
	Unsent json.RawMessage
}

// unsentLengths decodes wsResumeResult.Unsent as lengths.
func (r wsResumeResult) unsentLengths(t *testing.T) []int {
	var n []int
	require.NoError(t, json.Unmarshal(r.Unsent, &n))
	return n
}

// TestNodeWebSocketResume drives the client's WebSocket recovery against
// a scripted server (a fake WebSocket in Node, so both sides are
// deterministic): the claim counts the messages received, a resume sends
// again exactly what the server's hello says it did not receive, and a
// resume that would need more than the client kept gives the peer up and
// comes back as a new one that reports what it kept (resumeReason
// "gap"), as a failed resume does.
func TestNodeWebSocketResume(t *testing.T) {
	t.Parallel()
	nodetest.HarnessDir(t)
	run := func(scenario string) wsResumeResult {
		out := nodetest.Run(t, ".", "node", "testdata/node-ws-resume.mjs", scenario)
		var res wsResumeResult
		require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)
		return res
	}
	t.Run("resend", func(t *testing.T) {
		t.Parallel()
		res := run("resend")
		require.Equal(t, []string{"?anyws=2", "?anyws=2"}, res.URLs)
		require.Equal(t, []string{`{"marks":[]}`, `{"resume":"s:2","marks":[],"sent":5}`}, res.Hellos, "the claim counts the two messages received, and the five it numbered")
		require.Equal(t, [][]any{{"a1", "a2", "a3", "a4", "a5"}, {"a4", "a5", "a6"}}, res.Sent, "after the resume: what the server did not receive, then the new message")
		require.Equal(t, []string{"d1", "d2", "d3\nline"}, res.Messages, "without marks in the hello, messages are not stripped")
		require.Len(t, res.Opens, 2)
		require.True(t, res.Opens[1].Resumed)
		require.False(t, res.Opens[1].Recovered)
		require.Empty(t, res.unsentLengths(t))
	})
	t.Run("gap", func(t *testing.T) {
		t.Parallel()
		res := run("gap")
		require.Equal(t, []string{`{"marks":[]}`, `{"resume":"s:0","marks":[],"sent":40}`, `{"marks":[]}`}, res.Hellos, "resumed, given up, then a new peer")
		require.NotNil(t, res.Closed[1])
		require.Equal(t, 1000, res.Closed[1].Code, "the resumed peer is closed")
		require.Len(t, res.Opens, 2)
		require.False(t, res.Opens[1].Resumed)
		require.True(t, res.Opens[1].Lost)
		require.Equal(t, "gap", res.Opens[1].Reason)
		// 40 messages of 32 KiB were sent; the client keeps 1 MiB of them.
		require.Len(t, res.unsentLengths(t), 32, "what the client kept is reported unsent")
		require.Equal(t, []any{}, res.Sent[2], "nothing kept is sent to the new peer")
	})
	t.Run("marks", func(t *testing.T) {
		t.Parallel()
		res := run("marks")
		require.Equal(t, []string{"?anyws=2", "?anyws=2", "?anyws=2", "?anyws=2", "?anyws=2"}, res.URLs)
		all := `"AAAAAAAA9","BBBBBBBB7","CCCCCCCC12345678901234567890"`
		require.Equal(t, []string{
			`{"marks":[]}`,
			`{"resume":"s:6","marks":[` + all + `],"sent":2}`,             // the last offset per tag, an older one ignored, a large one exact
			`{"resume":"s:7","marks":[` + all + `,"EEEEEEEE3"],"sent":6}`, // kept across the recovery
			`{"resume":"s:7","marks":[` + all + `,"EEEEEEEE3"],"sent":6}`, // and a resume
			`{"resume":"t:1","marks":["DDDDDDDD1"],"sent":0}`,             // a new peer's alone
		}, res.Hellos)
		require.Equal(t, []string{"d1", "d2", "d3\nline", "bin:1,10,255", "d4", "d5", "d6", "d7"}, res.Messages, "each message without its mark line")
		require.Equal(t, [][]any{{"a1", "a2"}, {"a3"}, {"a3"}, {}, {}}, res.Sent,
			"recovered: a1 and a2 are not sent again; a3 is numbered 6 (the recovered hello said 5), so the resume that says 5 sends it again")
		require.Len(t, res.Opens, 5)
		require.True(t, res.Opens[1].Resumed)
		require.True(t, res.Opens[1].Recovered)
		require.False(t, res.Opens[1].Lost)
		require.True(t, res.Opens[2].Resumed)
		require.False(t, res.Opens[2].Recovered)
		require.False(t, res.Opens[3].Resumed)
		require.True(t, res.Opens[3].Lost)
		require.True(t, res.Opens[4].Resumed)
		var unsent []struct {
			Data      string
			Recovered bool
		}
		require.NoError(t, json.Unmarshal(res.Unsent, &unsent))
		require.Equal(t, []struct {
			Data      string
			Recovered bool
		}{{"a1", true}, {"a2", true}, {"a3", false}}, unsent,
			"what the recovered peer may not have got is reported, not sent again; then what the new peer did not get")
	})
}
