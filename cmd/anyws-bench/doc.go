// Command anyws-bench is anyws's load tool: it measures anyws against
// bare hand-written controls in the same run, on loopback, and prints
// the figures side by side with the ratio anyws/control.
//
// Start with main.go for the flags and the scenario list. Each server
// under test runs in a child process (this same binary with -server), so
// its memory is measured alone and clients never share its heap:
//
//   - server.go: the child: one HTTP server per implementation, with
//     /ws (WebSocket), /sse (one-way SSE), /bsse (bidirectional SSE),
//     /publish (the server publishes to every subscriber) and /stats.
//   - serve_anyws.go: anyws's Hub with its WebSocket and SSE adapters.
//   - serve_bare.go: the controls: a minimal coder/websocket chat server
//     and a minimal net/http SSE broadcaster (pre-encoded frames, one
//     flush per drained batch), with a bidirectional uplink.
//   - chat.go, broadcast.go, idle.go: the scenarios, run from the parent.
//
// Everything is bounded in time and connects to 127.0.0.1 only, spreading
// client source addresses over 127.0.0.x so that ports do not run short.
//
//	go run ./cmd/anyws-bench -short       # about a minute, what make bench runs
//	go run ./cmd/anyws-bench              # the full run (10,000 connections)
package main
