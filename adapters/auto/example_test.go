package auto_test

import (
	"context"
	"net/http"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
)

// One handler serves a chat room over WebSocket and SSE on one URL; the
// JavaScript client picks the transport that works.
func ExampleNew() {
	hub := anyws.New(anyws.Hooks{
		Open:    func(p *anyws.Peer) { p.Subscribe("chat"); _ = p.Publish("chat", p.ID()+" joined") },
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Publish("chat", m.Text()) },
		Close:   func(p *anyws.Peer, _ anyws.CloseInfo) { _ = p.Publish("chat", p.ID()+" left") },
	}, nil)
	defer hub.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, nil))
	mux.Handle("/anyws.js", auto.Client())
	_ = http.ListenAndServe("localhost:3000", mux)
}

// Fallback serves the application's pages on the same URL as the
// transports: a plain GET is neither an upgrade nor an event stream.
func ExampleNew_fallback() {
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Shutdown(context.Background())

	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`<script type="module">
import { AnyWS } from "/anyws.js";
new AnyWS("/").onmessage = (e) => document.body.append(e.data);
</script>`))
	})
	_ = http.ListenAndServe("localhost:3000", auto.New(hub, &auto.Options{Fallback: page}))
}

// Client serves the JavaScript client next to a Handler mounted on one
// path; a page imports it from there.
func ExampleClient() {
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) }, // echo
	}, nil)
	defer hub.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/_ws", auto.New(hub, nil))
	mux.Handle("/static/anyws.js", auto.Client())
	// In the page:
	//   import { AnyWS } from "/static/anyws.js";
	//   const ws = new AnyWS("/_ws", { transport: "sse" }); // or "auto"
	_ = http.ListenAndServe("localhost:3000", mux)
}
