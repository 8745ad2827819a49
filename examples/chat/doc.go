// Command chat is anyws's demo and the README's first command:
//
//	go run ./examples/chat
//
// It serves a chat room on http://localhost:3000 (127.0.0.1 and ::1).
// Open it in two tabs, one of them with ?transport=sse: both are in the
// same room, and the people list shows who came over WebSocket and who
// over Server-Sent Events. Flags:
//
//	-port 3000   the TCP port (default $PORT, else 3000)
//	-sse         make the page force SSE by default (?transport=auto undoes it)
//	-tls         serve HTTPS with HTTP/2 and a self-signed certificate made
//	             at startup, so SSE uses the streaming uplink
//
// Start reading at hooks.go (the whole server side of the chat: anyws
// Hooks), then main.go (one auto.Handler for every transport) and
// page.html (the browser side: anyws.js's AnyWS).
package main
