package browsertest_test

import (
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// TestClientGoodbyeOverSSE: a server that keeps dropped peers for a resume
// (a window far longer than the test) cannot tell an SSE client that
// leaves from one that dropped, so anyws.js's close(code, reason) says
// goodbye first (a POST with X-Anyws-Leave): the peer closes at once, and
// the Close hook sees the client's code and reason, whatever the uplink.
func TestClientGoodbyeOverSSE(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, uplink string
		h2           bool
	}{
		{"post/http1", "post", false},
		{"stream/h2", "stream", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opened := make(chan *anyws.Peer, 1)
			msgs := make(chan string, 1)
			closed := make(chan anyws.CloseInfo, 1)
			hub := anyws.New(anyws.Hooks{
				Open:    func(p *anyws.Peer) { opened <- p },
				Message: func(_ *anyws.Peer, m anyws.Message) { msgs <- m.Text() },
				Close:   func(_ *anyws.Peer, c anyws.CloseInfo) { closed <- c },
			}, &anyws.Options{ResumeWindow: 10 * time.Minute})
			t.Cleanup(func() { shutdown(t, hub) })
			srv := serve(t, mux(auto.New(hub, nil)), tc.h2)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var st struct{ Uplink string }
			browsertest.Eval(t, ctx, "start('c', '/_ws', {transport: 'sse', uplink: "+js(tc.uplink)+"})", &st)
			require.Equal(t, tc.uplink, st.Uplink)
			recvWithin(t, opened, "Open")

			// A message sent just before close() is delivered before the
			// goodbye closes the peer.
			var code int
			browsertest.Eval(t, ctx, "send('c', 'last words'), stopWith('c', 4321, 'moving on ✓')", &code)
			require.Equal(t, 4321, code)
			require.Equal(t, "last words", recvWithin(t, msgs, "the message sent before close()"))
			info := recvWithin(t, closed, "the Close hook (the goodbye should end the peer at once, not after the 10-minute window)")
			require.Equal(t, anyws.StatusCode(4321), info.Code)
			require.Equal(t, "moving on ✓", info.Reason)
			require.Empty(t, hub.Peers())
		})
	}
}
