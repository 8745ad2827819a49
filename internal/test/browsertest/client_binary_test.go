package browsertest_test

import (
	"testing"

	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// TestClientTextLikeDataURL: in Chromium over SSE, anyws.js gets a text
// message that looks like crossws's binary data URL back as that text,
// and binary as binary (issue 16 item 10), with a per-message and a
// streaming uplink.
func TestClientTextLikeDataURL(t *testing.T) {
	t.Parallel()
	const text = "data:application/octet-stream;base64,aGk="
	for _, h2 := range []bool{false, true} {
		name := "http1"
		if h2 {
			name = "h2"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hub := echoHub(t, "welcome ")
			srv := serve(t, mux(auto.New(hub, nil)), h2)
			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var got struct {
				Transport string
				Messages  []string
			}
			browsertest.Eval(t, ctx, `(async () => {
				const ws = new AnyWS('/_ws', {transport: 'sse', maxAttempts: 0});
				ws.binaryType = 'arraybuffer';
				const messages = [];
				const done = new Promise((resolve) => {
					ws.onmessage = (e) => {
						messages.push(typeof e.data === 'string' ? e.data : 'bin:' + new Uint8Array(e.data).join(','));
						if (e.data === 'end') resolve();
					};
				});
				await new Promise((resolve) => { ws.onopen = resolve; });
				const transport = ws.transport;
				ws.send(`+js(text)+`);
				ws.send(new Uint8Array([104, 105]));
				ws.send('end');
				await done;
				ws.close(1000, 'bye');
				return {transport, messages};
			})()`, &got)
			require.Equal(t, "sse", got.Transport)
			require.Equal(t, []string{"welcome sse", text, "bin:104,105", "end"}, got.Messages)
		})
	}
}
