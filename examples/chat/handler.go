package main

import (
	_ "embed" // the page
	"net/http"
	"strings"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
)

//go:embed page.html
var pageHTML string

// newHandler mounts the chat: the page on /, every transport on /_ws, and
// the JavaScript client on /anyws.js. forceSSE makes the page use SSE
// unless its URL says ?transport=auto. trustProxy believes a reverse
// proxy's X-Forwarded-Host and X-Forwarded-Proto in the origin check:
// set it behind a proxy that terminates TLS and sets them.
func newHandler(hub *anyws.Hub, forceSSE, trustProxy bool) http.Handler {
	transport := "auto"
	if forceSSE {
		transport = "sse"
	}
	page := strings.Replace(pageHTML, `content="auto"`, `content="`+transport+`"`, 1)
	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, &auto.Options{TrustForwarded: trustProxy}))
	mux.Handle("GET /anyws.js", auto.Client())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write([]byte(page))
	})
	return mux
}
