package browsertest_test

import (
	"net/http"
	"testing"

	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// namedEventStream is an SSE endpoint that sends named events, as a
// server other than anyws's (which sends only message events today)
// might: the uplink token, events named chat and open (a name the client
// keeps for itself), messages, then waits for the client to leave.
func namedEventStream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(": a comment\r\n" +
		"event: crossws-id\ndata: token\n\n" +
		"event: chat\r\nid: 7\r\ndata: hello\r\ndata: there\r\n\r\n" +
		"event: open\ndata: not for the client's open listeners\n\n" +
		"data: plain\n\n" +
		"event: presence\ndata:{\"who\":\"ann\"}\n\n" +
		"data: end\n\n"))
	_ = http.NewResponseController(w).Flush()
	<-r.Context().Done()
}

// TestClientNamedEvents: over SSE, events with a name other than message
// reach addEventListener(name) as MessageEvents with their data and
// lastEventId, in stream order with the messages; reserved names do not
// (the open listener sees the client's own open event, without data,
// and not the server's event named open).
func TestClientNamedEvents(t *testing.T) {
	t.Parallel()
	m := mux(http.HandlerFunc(namedEventStream))
	srv := serve(t, m, false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	var got []struct{ Type, Data, ID string }
	browsertest.Eval(t, ctx, `namedEvents('/_ws', ['chat', 'presence', 'open'])`, &got)
	require.Equal(t, []struct{ Type, Data, ID string }{
		{"open", "", ""},
		{"chat", "hello\nthere", "7"},
		{"message", "plain", "7"},
		{"presence", `{"who":"ann"}`, "7"},
	}, got)
}
