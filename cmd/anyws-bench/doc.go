// Command anyws-bench is anyws's load tool: it measures anyws against
// the strongest controls in the same run, on loopback, and prints one
// column per implementation, the best control of each row and the ratio
// anyws ÷ best.
//
// It is a module of its own (go.mod here, the core by a replace), so
// that the controls it imports never become dependencies of the library.
//
// Start with main.go for the flags and run.go for the scenarios. Each
// server under test runs in a child process (this same binary with
// -server; node for the Node control), so its memory and CPU are
// measured alone:
//
//   - impls.go: the implementations and what each supports; a scenario
//     an implementation does not support is "—" in the table.
//   - server.go: the child: /ws, /sse, /bsse (what the implementation
//     serves), /publish and /stats, over HTTP/1.1 and h2c.
//   - serve_anyws.go: anyws's Hub with its WebSocket and SSE adapters.
//   - serve_gorilla.go, serve_coder.go: gorilla/websocket's and
//     coder/websocket's chat examples.
//   - serve_bare_sse.go: the strongest hand-written net/http SSE
//     broadcaster we know, with a crossws-compatible uplink.
//   - serve_gosse.go: tmaxmax/go-sse with its defaults.
//   - serve_centrifuge.go, serve_centrifuge_unisse.go: centrifuge's Node,
//     its WebSocket handler and a unidirectional SSE transport.
//   - nodews.go: Node's ws package, testdata/node/bench-ws-server.mjs
//     run by node (its node_modules come from `make deps`).
//   - clients.go, client_centrifuge.go: the clients, one per wire format.
//   - chat.go, broadcast.go, idle.go, huge.go: the scenarios' runs.
//   - huge_nodes.go, huge_client.go, redis_server.go: the huge run
//     beyond one process's open files: anyws nodes sharing a Redis
//     broker, and client processes (this binary with -huge-client).
//   - pin.go: -pin, the servers on a CPU of their own and the clients
//     on the others (through taskset).
//   - table.go: the results.
//
// Everything is bounded in count and time and connects to 127.0.0.1
// only, from 127.0.0.2-65 (the huge run's client processes: blocks of
// 127.0.0.2-241) so that ports never run short.
//
//	go run -C cmd/anyws-bench . -short   # what make bench runs
//	go run -C cmd/anyws-bench .          # the full run
//	go run -C cmd/anyws-bench . -scenarios huge -huge 100000
//	go run -C cmd/anyws-bench . -pin -scenarios lowrate
package main
