// Command crossws-demo is crossws's demo app (a chat room plus a few
// debugging commands) served by anyws over WebSocket and bidirectional SSE
// on one port, so JavaScript clients written and tested against crossws's
// demo run unchanged against a Go server.
//
// Run it with
//
//	PORT=3000 go run ./examples/crossws-demo
//
// and open http://localhost:3000/. It listens on 127.0.0.1 and [::1] only.
//
// Where to start: hooks.go is the whole application (what a peer is sent on
// open and how each message is answered); handler.go routes a request to
// WebSocket, SSE, /peers or /publish; debug.go builds the "debug" reply;
// main.go runs the listeners. The behaviour it reproduces is specified in
// the project's interop notes (crossws-demo.md) and checked by the tests in
// this directory, including with Node's ws, eventsource and crossws clients
// (testdata/node; run `make deps` once to install them).
package main
