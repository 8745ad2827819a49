// Package client is a Go client for anyws servers that connects the way
// the browser client anyws.js does: over WebSocket when it can, over
// bidirectional SSE (websocketsse) when the WebSocket handshake fails,
// for example behind a proxy that does not forward upgrades. Either way
// the caller gets one [Conn] with coder/websocket's method set, so code
// written for a websocket.Conn works unchanged.
//
// Start with [Dial]. [Conn.Transport] says which transport is in use and
// [Conn.WebSocketError] why WebSocket was not: the handshake's HTTP
// status ([HandshakeError]) or the network error.
//
// # When it falls back
//
// Any failed WebSocket attempt falls back to SSE, except two answers that
// SSE would get too: 401 Unauthorized and 403 Forbidden (the server's
// Upgrade hook or origin check refused the client), which Dial returns as
// a *HandshakeError with the response. A WebSocket attempt that takes
// longer than Options.WebSocketTimeout (default 5 s: a proxy holding the
// upgrade) falls back as well. The end of Dial's ctx ends the dial, with
// no fallback.
//
// # Reconnects
//
// Over WebSocket, Dial speaks anyws's recovery protocol (it adds anyws=2
// to the URL; see adapters/websocket): when the connection drops, the
// Conn reconnects by itself (Options.Reconnect) and, if the server keeps
// peers for a resume (anyws.Options.ResumeWindow), gets its peer back
// with its subscriptions and every message it missed, once, in order;
// what it wrote that the server had not received is sent again, once.
// Read and Write wait meanwhile. When the peer cannot be resumed (the
// window ended, the server restarted) Read returns a *ResumeError: dial
// again. A server with recovery off says so on connect, and then a drop
// ends the Conn as with plain WebSocket. Over SSE, websocketsse does the
// same with Last-Event-ID (see there).
//
// When the server's broker keeps peer records, the Conn also keeps the
// topic position of the last message it read of each topic (the server
// sends them; Read strips them), and claims with them on a reconnect, so
// that even a peer whose node was killed is rebuilt on another node with
// every topic message it missed. Such a recovery loses the direct
// messages the dead node had not written, and the messages this client
// wrote that it had not acknowledged: the Conn drops those rather than
// risk delivering them twice. [Conn.ResumeStatus] counts resumes,
// recoveries and the messages dropped.
//
// A server that refuses upgrades with 403 on purpose, such as
// adapters/auto with DisableWebSocket, is taken at its word: set
// Options.Transport to TransportSSE for it.
package client
