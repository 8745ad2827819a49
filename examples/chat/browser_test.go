package main_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	chat "github.com/anyws/anyws/examples/chat"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// TestBrowserChat opens the chat page in two tabs of a real browser over
// HTTPS and HTTP/2, as -tls serves it: Ada with the default transport
// (WebSocket), Bea forced to SSE (streaming uplink). Each sees the other
// in the people list with the right transport, and each one's message in
// the list. It saves a screenshot of Ada's tab to testdata/chat.png when
// CHAT_SCREENSHOT=1 (the committed one was made that way), else to the
// test's temporary directory.
func TestBrowserChat(t *testing.T) {
	t.Parallel()
	hub := chat.NewHub()
	srv := httptest.NewUnstartedServer(chat.NewHandler(hub, false, false))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
		srv.Close()
	})

	ada := browsertest.Tab(t)
	browsertest.Navigate(t, ada, srv.URL+"/?name=Ada")
	var st string
	browsertest.WaitDOM(t, ada, `document.getElementById("status").className === "open" && document.getElementById("status").textContent`, &st)
	require.Equal(t, "connected over WebSocket", st)

	bea := browsertest.Tab(t)
	browsertest.Navigate(t, bea, srv.URL+"/?name=Bea&transport=sse")
	browsertest.WaitDOM(t, bea, `document.getElementById("status").className === "open" && document.getElementById("status").textContent`, &st)
	require.Equal(t, "connected over SSE (streaming uplink)", st)

	const people = `(() => { const li = [...document.querySelectorAll("#people li")].map((l) => l.dataset.transport + " " + l.textContent); return li.length === 2 && li; })()`
	for _, tab := range []context.Context{ada, bea} {
		var list []string
		browsertest.WaitDOM(t, tab, people, &list)
		require.ElementsMatch(t, []string{"websocket WS Ada" + you(tab == ada), "sse SSE Bea" + you(tab == bea)}, list)
	}

	say := func(tab context.Context, text string) {
		browsertest.Eval(t, tab, `(() => { document.getElementById("text").value = `+jsString(text)+`; document.getElementById("send").requestSubmit(); })()`, nil)
	}
	lastMessage := func(from, text string) string {
		return `[...document.querySelectorAll("#messages li.msg")].some((li) => li.querySelector(".who").textContent === ` + jsString(from) + ` && li.querySelector(".text").textContent === ` + jsString(text) + `)`
	}
	say(ada, "Hi Bea! I'm on WebSocket.")
	say(bea, "Hi Ada, SSE here: streaming my messages over HTTP/2.")
	for _, tab := range []context.Context{ada, bea} {
		browsertest.WaitDOM(t, tab, lastMessage("Ada", "Hi Bea! I'm on WebSocket."), nil)
		browsertest.WaitDOM(t, tab, lastMessage("Bea", "Hi Ada, SSE here: streaming my messages over HTTP/2."), nil)
	}
	var notice bool
	browsertest.WaitDOM(t, ada, `[...document.querySelectorAll("#messages li.notice")].some((li) => li.textContent === "Bea joined (SSE).")`, &notice)

	png := browsertest.Screenshot(t, ada)
	path := filepath.Join(t.TempDir(), "chat.png")
	if os.Getenv("CHAT_SCREENSHOT") == "1" {
		path = filepath.Join("..", "..", "testdata", "chat.png")
	}
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

func you(self bool) string {
	if self {
		return " (you)"
	}
	return ""
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
