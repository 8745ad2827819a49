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
// `event: message` events. The GET asks for binary events (header
// X-Anyws-Binary: event): an anyws server grants them and sends binary
// messages as `event: binary` (base64), so text is always text; a
// crossws server sends them as a base64 data URL in `event: message`,
// which Read returns as binary (as crossws's clients do, a text that
// starts with that prefix then reads as binary). Messages to
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
// hook runs again. Once a reconnect attempt has failed (the node that
// held the stream died, say), Write fails at once with [ErrStreamDown]
// instead of waiting for the stream, and Read fails once the policy gives
// up (MaxAttempts).
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
// # Talking to crossws
//
// Dial works against crossws's own SSE adapter (crossws/adapters/sse with
// bidir: true, 0.4): the stream, its x-crossws-id token, one POST per
// message (crossws answers 200 rather than 204; any 2xx is success) and
// pub/sub between clients are tested against crossws 0.4.17 on Node
// (crossws_test.go). Use [UplinkPerMessage], which is also what
// [UplinkAuto] picks over HTTP/1.1. Over HTTP/2 UplinkAuto would pick the
// framed stream, so set UplinkPerMessage explicitly when a crossws
// server sits behind an HTTP/2 front end.
//
// crossws has no message framing on its uplink: it decodes every POST
// body as text and hands each chunk it happens to read to its Message
// hook. Its own client's raw stream mode relies on that, and so it
// cannot keep message boundaries: two messages may arrive as one, or one
// as two, wherever the network cut the body. websocketsse's framed
// uplink ([UplinkStream]) is no better there: crossws does not know it,
// so the application gets the SSE framing ("data: ...\n\n") as text,
// complete and in order but with no reliable message boundaries. One POST per message
// avoids it for small messages only, because crossws also cuts a large
// body where it reads it (a 1 MiB message arrives as many). Also:
//
//   - a binary message reaches crossws as text (decoded as UTF-8);
//   - an empty message is dropped (no chunk, no Message hook);
//   - crossws joins the lines of a multi-line message with commas on the
//     way down, so "a\nb" sent by the server is read as "a,data: b";
//   - the uplink token is crossws's public peer id, which its
//     applications may show to other users.
package websocketsse
