package main_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/anyws/anyws/adapters/auto"
	demo "github.com/anyws/anyws/examples/crossws-demo"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// crosswsSSE is crossws's browser client, WebSocketSSE, from the Node
// harness that `make deps` installs: a self-contained ES module.
var crosswsSSE = filepath.Join("..", "..", "testdata", "node", "node_modules", "crossws", "dist", "websocket", "sse.mjs")

// browserPage loads crossws's WebSocketSSE and anyws's AnyWS and offers
// talk(): connect, wait for the welcome, send ping and an echo, and
// report what came back.
const browserPage = `<!doctype html>
<meta charset="utf-8">
<script type="module">
import { WebSocketSSE } from "/test/crossws-sse.mjs";
import { AnyWS } from "/test/anyws.js";

window.talk = async (kind, options) => {
  const ws = kind === "crossws" ? new WebSocketSSE(location.origin + "/?foo=bar", options) : new AnyWS("/?foo=bar", options);
  const got = [];
  const waiters = [];
  ws.addEventListener("message", (e) => {
    got.push(String(e.data));
    for (const w of waiters.splice(0)) w();
  });
  const next = (i) => new Promise((resolve) => {
    const check = () => (got.length > i ? resolve(got[i]) : waiters.push(check));
    check();
  });
  const welcome = await next(0);
  ws.send("ping");
  const pong = await next(1);
  ws.send("hello from the browser");
  const echo = await next(2);
  const transport = ws.transport ?? "sse";
  ws.close();
  return { welcome, pong, echo, transport };
};
</script>`

// TestBrowserClients runs crossws's own browser client, WebSocketSSE, in
// a real browser against the demo, in both its modes: one POST per
// message (HTTP/1.1) and one streaming POST (HTTP/2, the only protocol
// on which Chromium streams request bodies). anyws's AnyWS runs against
// the demo too, in crossws's per-message mode and over WebSocket.
func TestBrowserClients(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t) // this package's TestMain is goleak's, not browsertest.Main
	tests := []struct {
		name      string
		h2        bool
		call      string
		transport string
	}{
		{"crossws/per-message", false, `talk("crossws", { stream: false })`, "sse"},
		{"crossws/stream-h2", true, `talk("crossws", {})`, "sse"},
		{"anyws/post", false, `talk("anyws", { transport: "sse", uplink: "post" })`, "sse"},
		{"anyws/websocket", false, `talk("anyws", {})`, "websocket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hub := demo.NewHub()
			mux := http.NewServeMux()
			mux.Handle("/", demo.NewHandler(hub))
			mux.HandleFunc("GET /test/page", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte(browserPage))
			})
			mux.HandleFunc("GET /test/crossws-sse.mjs", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
				http.ServeFile(w, r, crosswsSSE)
			})
			mux.Handle("GET /test/anyws.js", auto.Client())
			srv := httptest.NewUnstartedServer(mux)
			if tc.h2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				require.NoError(t, hub.Shutdown(ctx))
				srv.Close()
			}()

			tab := b.Tab(t)
			browsertest.Navigate(t, tab, srv.URL+"/test/page")
			var res struct{ Welcome, Pong, Echo, Transport string }
			browsertest.Eval(t, tab, tc.call, &res)
			require.Regexp(t, `^Welcome to the server [0-9a-f-]{36}! \(namespace: /\)$`, res.Welcome)
			require.Equal(t, "pong", res.Pong)
			require.Equal(t, "hello from the browser", res.Echo)
			require.Equal(t, tc.transport, res.Transport)
		})
	}
}
