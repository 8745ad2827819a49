// Package websocketsse is a Go client for bidirectional Server-Sent Events:
// it talks to an anyws server (adapters/sse in bidirectional mode) or to
// crossws's SSE adapter where WebSocket upgrades are blocked, through a
// Conn with coder/websocket's method set, so code written for a
// websocket.Conn works unchanged.
//
// Start with [Dial], then use [Conn.Read], [Conn.Write], [Conn.Close] and
// [Conn.CloseNow] as with coder/websocket. Message types, close codes and
// errors are coder/websocket's: a server close arrives as a
// websocket.CloseError, so websocket.CloseStatus works.
//
// # How it works
//
// Messages from the server come down one long GET (an EventSource stream):
// `event: message` events, binary ones as a base64 data URL. Messages to
// the server go up with POSTs carrying the stream's token (header
// x-crossws-id): over HTTP/2 one long framed POST whose body is a stream
// of SSE events, otherwise one POST per message. See [Uplink].
//
// # Reconnection
//
// When the stream breaks the Conn re-opens it as a browser's EventSource
// does (see [Reconnect]): after the server's `retry:` delay with backoff
// and jitter, sending Last-Event-ID. A 204 stops for good (Read then
// returns a CloseError with StatusNormalClosure); another status or a
// non-event-stream answer fails for good. On anyws and crossws servers a
// reconnected stream is a NEW peer with a new token: Writes go to it,
// messages sent before the drop are not sent again, and the server's Open
// hook runs again.
//
// # Limits
//
//   - SSE has no client close frame: Close ends the uplink and the stream,
//     and the server sees a disconnect, not the code and reason.
//   - SSE data is text: CR and CRLF in a text message arrive as LF (in
//     both directions when the framed uplink is used). Binary messages
//     are exact.
//   - MaxEventSize (default 1 MiB) bounds what a hostile stream can make
//     the client hold; a larger event fails the Conn with
//     websocket.ErrMessageTooBig.
//   - With the framed uplink, the server's refusal of a message (413, 400,
//     404) arrives at the end of the POST and fails the Conn: the next
//     Write, Read or Close returns it. Over HTTP/1.1 Go's transport
//     reports an early answer to a streaming POST only once the body
//     ends, which is why UplinkAuto streams only over HTTP/2.
//   - Always call Close or CloseNow: they stop the Conn's goroutines and
//     close the default client's idle connections.
//
// Interop with crossws's own SSE adapter: crossws has no framed uplink
// (it reads a streaming POST as raw chunks), so against crossws use
// [UplinkPerMessage], which is what [UplinkAuto] does over HTTP/1.1.
package websocketsse
