package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// nodeTimeout bounds one Node script; the scripts bound their own waits
// to well under it.
const nodeTimeout = 60 * time.Second

// nodeDir is the Node harness (testdata/node). Its packages must be
// installed: a missing install fails the test rather than skipping it, so
// the interop checks never go quietly missing.
func nodeDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "node"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "crossws", "package.json")); err != nil {
		require.FailNow(t, "the Node test harness is not installed ("+dir+"/node_modules is missing): run `make deps` in the repository root")
	}
	if _, err := exec.LookPath("node"); err != nil {
		require.FailNow(t, "node is not on PATH: the interop tests need Node.js 20 or later")
	}
	return dir
}

// runNode runs a harness script and returns the JSON objects it printed,
// one per line.
func runNode(t *testing.T, script string, args ...string) []map[string]any {
	t.Helper()
	dir := nodeDir(t)
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "node %s %q failed\nstderr:\n%s\nstdout:\n%s", script, args, stderr.String(), stdout.String())
	var out []map[string]any
	for line := range bytes.Lines(stdout.Bytes()) {
		var v map[string]any
		require.NoError(t, json.Unmarshal(line, &v), "not a JSON line: %q", line)
		out = append(out, v)
	}
	require.NotEmpty(t, out)
	return out
}

// received is what one client of a harness run got, in order, as
// "type:data" strings.
func received(lines []map[string]any, client string) []string {
	var out []string
	for _, l := range lines {
		if l["client"] == client && l["type"] != nil {
			out = append(out, l["type"].(string)+":"+l["data"].(string))
		}
	}
	return out
}

// doneIDs returns the two peer ids from the final {"ok":true} line.
func doneIDs(t *testing.T, lines []map[string]any) (a, b string) {
	t.Helper()
	last := lines[len(lines)-1]
	require.Equal(t, true, last["ok"], "last line: %v", last)
	ids := last["ids"].([]any)
	require.Len(t, ids, 2)
	return ids[0].(string), ids[1].(string)
}

func TestNodeWS(t *testing.T) {
	t.Parallel()
	s := serve(t)
	lines := runNode(t, "ws-client.mjs", s.wsURL("/"))
	a, b := doneIDs(t, lines)
	peers := `text:{"peers":["` + a + `","` + b + `"]}`
	require.Equal(t, []string{
		"text:Welcome to the server " + a + "! (namespace: /)",
		"text:pong",
		"binary:binary message works!",
		"text:" + b + " joined!",
		"text:hello from node ✓",
		peers,
	}, received(lines, "a"))
	require.Equal(t, []string{
		"text:Welcome to the server " + b + "! (namespace: /)",
		"text:hello from node ✓",
		peers,
	}, received(lines, "b"))
	require.Eventually(t, func() bool { return len(peersList(t, s)) == 0 }, timeout, tick)
}

func TestNodeWebSocketSSE(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"stream", "post"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := serve(t)
			lines := runNode(t, "websocketsse-client.mjs", s.url("/chat?foo=bar"), mode)
			a, b := doneIDs(t, lines)
			gotA := received(lines, "a")
			require.Len(t, gotA, 5)
			require.Equal(t, []string{
				"text:Welcome to the server " + a + "! (namespace: /chat)",
				"text:pong",
				"text:" + b + " joined!",
				"text:hello from crossws ✓",
			}, gotA[:4])
			d := parseDebug(t, gotA[4][len("text:"):])
			require.Equal(t, a, d.ID)
			require.Equal(t, "http://"+s.host+"/chat?foo=bar", d.Request.URL)
			require.Equal(t, "ws://"+s.host+"/chat?foo=bar", d.WebSocket.URL)
			require.Empty(t, *d.WebSocket.Protocol)
			require.Equal(t, []string{
				"text:Welcome to the server " + b + "! (namespace: /chat)",
				"text:hello from crossws ✓",
				`text:{"peers":["` + a + `","` + b + `"]}`,
			}, received(lines, "b"))
			require.Eventually(t, func() bool { return len(peersList(t, s)) == 0 }, timeout, tick)
		})
	}
}

// eventPayloads are sent down a one-way stream to the npm eventsource
// client, which must report each exactly (line ends normalized to LF, as
// every EventSource does).
var eventPayloads = []struct {
	send anyws.Message
	want string
}{
	{anyws.Text("hello"), "hello"},
	{anyws.Text("line one\nline two\n\nline four"), "line one\nline two\n\nline four"},
	{anyws.Text("crlf\r\nand cr\rend"), "crlf\nand cr\nend"},
	{anyws.Text("unicode: é ü 日本語 🎉 \u2028 ok"), "unicode: é ü 日本語 🎉 \u2028 ok"},
	{anyws.Text(""), ""},
	{anyws.Text(" leading space, trailing space "), " leading space, trailing space "},
	{anyws.Text("data: not a field\nevent: nor this\nid: 7"), "data: not a field\nevent: nor this\nid: 7"},
	{anyws.Text("\n"), "\n"},
	{anyws.Binary([]byte{0, 1, 2, 0xff}), "data:application/octet-stream;base64,AAEC/w=="},
}

func TestNodeEventSourceOneWay(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			for _, pl := range eventPayloads {
				if err := p.Send(pl.send); err != nil {
					t.Errorf("send %q: %v", pl.send, err)
				}
			}
			_ = p.Close(anyws.StatusNormalClosure, "done")
		},
	}, &anyws.Options{ResumeWindow: -1}) // crossws's wire: no ids
	srv := httptest.NewServer(sse.New(hub, nil))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
		srv.Close()
	})

	lines := runNode(t, "eventsource-client.mjs", srv.URL+"/stream")
	want := make([]map[string]any, 0, len(eventPayloads)+1)
	for _, pl := range eventPayloads {
		want = append(want, map[string]any{"type": "message", "data": pl.want, "lastEventId": ""})
	}
	want = append(want, map[string]any{"type": "close", "data": `{"code":1000,"reason":"done"}`})
	require.Equal(t, want, lines)
}
