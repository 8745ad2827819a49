// Package sse serves an anyws Hub over Server-Sent Events: one-way
// (EventSource only) or bidirectional (an EventSource downlink plus HTTP
// POSTs uplink), wire-compatible with browsers' EventSource and with
// crossws's WebSocketSSE client.
//
// Start with [New]: it returns an http.Handler that runs the Hub's hooks
// for every stream it opens. Mount it on any router:
//
//	mux.Handle("/_sse", sse.New(hub, &sse.Options{Bidirectional: true}))
//
// [IsStream] and [IsUplink] classify requests for a handler that serves
// several transports on one URL.
//
// # Goroutines
//
// An HTTP/1.1 stream is taken over from net/http (hijacked) once the
// Upgrade hook accepted it, so an idle stream costs one goroutine, a
// reader that sees the client leave, and none of net/http's
// per-connection buffers: a writer goroutine runs only while there is
// something to write, keep-alives come from a timer. Bytes a client sends
// after its GET are ignored. A stream whose ResponseWriter cannot be
// hijacked (a middleware's wrapper without Unwrap), and every HTTP/2 and
// HTTP/1.0 stream, is served on its request's goroutine instead. Either
// way one goroutine at a time writes: it takes everything queued for the
// peer as one batch, encodes it (a published message is encoded once and
// the bytes are shared by every SSE subscriber), and writes it with one
// write under Options.WriteTimeout (on a hijacked stream, Peer.CloseNow
// also aborts a write blocked on a stalled client; a queue overflow gives
// it 3 s to finish, then sends event: close, or aborts it).
// No lock is held while
// writing. Like the WebSocket adapter's, hijacked streams are not closed
// by http.Server.Shutdown: Hub.Shutdown closes them.
// Uplink POSTs run the Message hook on their own request goroutines; the
// Hub serializes Message calls per peer. An uplink still reading when its
// peer closes is ended, so no request outlives its peer.
//
// # Downlink
//
// A GET whose Accept header names text/event-stream gets 200 with
// Content-Type text/event-stream, Cache-Control no-cache, no-transform,
// X-Accel-Buffering no (for nginx), and the Upgrade hook's headers,
// flushed at once: clients take the headers as "open". A hijacked
// HTTP/1.1 stream is chunked with Connection: close (the connection ends
// with the stream: a server close sends the last chunk, then closes); one
// served by net/http on HTTP/1.x says Connection: keep-alive. Then, in
// order:
//
//  1. retry: <ms>, if Options.Retry > 0 (default 3 s);
//  2. what the Open hook sent;
//  3. bidirectional mode: event: crossws-id, data: the uplink token (also
//     in the x-crossws-id response header);
//  4. each message: event: message (left out for a text message on a
//     resumable stream, whose events carry an id instead) and
//     one data: line per payload line
//     (CR, LF and CRLF all end a line; readers rejoin lines with LF). A
//     binary payload is one line, data:application/octet-stream;base64,
//     followed by standard base64 (crossws's convention), so such a
//     client cannot tell a text that starts with that prefix from
//     binary. A client that sends X-Anyws-Binary: event with its GET
//     (anyws's own: websocketsse, anyws.js) gets the same header back
//     and binary payloads as event: binary with the base64 alone on one
//     data: line; every event: message is then text. A message sent or
//     published as an anyws.Event goes as event: <its name>, after its
//     comment as ": " lines; EventSource dispatches it to the listeners
//     of that name, not to onmessage;
//  5. a ": keep-alive" comment after Options.KeepAlive (default 15 s)
//     without any write;
//  6. when the server closes the peer (Peer.Close, a queue overflow,
//     Hub.Shutdown): what is queued, then event: close with data
//     {"code":<code>,"reason":"<reason>"}, and the response ends.
//     Peer.CloseNow and overflow drop the queue (overflow keeps the batch
//     being written, then sends the close event); CloseNow also skips
//     the close event.
//
// With recovery on (anyws.Options.ResumeWindow, on by default) the
// stream opens with event: anyws (data: {"resumed":…,"reason":…,
// "received":…}) whose id is the claim <key>:<number of the last message
// before it>, and every message carries id: <key>:<number>, so a client
// that reconnects with the last Last-Event-ID it saw gets its peer back
// and everything after it, once, in order. Its response also carries
// X-Anyws-Resumable: 1, so that a client knows before it has read the
// hello (to number a POST or say goodbye at once). A client that keeps
// the key itself sends X-Anyws-Ids: short with its GET (anyws's Go
// clients do): it gets the same header back, and each message's id is
// then the number alone (the hello keeps the whole claim); it claims
// with the hello's key and its last number. A stream that ends is a drop, and
// the peer waits out the window unless its client said goodbye (a POST
// with X-Anyws-Leave: <code>, see the uplink). With recovery off, a
// client that disconnects ends the peer at once; its Close hook sees
// StatusGoingAway (1001) with Err set to the cause. SSE has no close
// handshake, so this is the normal way for a client to leave, not an
// abnormal one, whether the server sees it reading or as a write that
// fails on the closed connection (1006 is kept for writes that fail
// otherwise: a write deadline passed).
//
// # Uplink (bidirectional mode)
//
// A POST to the stream's URL with header x-crossws-id: <token> delivers
// messages from that stream's peer, in the Message hook, in order:
//
//   - Content-Type text/event-stream: anyws's framed uplink, a stream of
//     SSE events, each one message as it arrives: event type message (the
//     default) is text, event type binary is binary with standard base64
//     data. Answered 204 at the end of the body. It works over HTTP/1.1
//     chunked, HTTP/2 and h2c; over HTTP/2 the stream and a long framed
//     POST share one connection. A malformed event (unknown type, bad
//     base64, invalid UTF-8, too large) is answered 400 or 413 after
//     every event complete before it was delivered, however the network
//     split the body; the peer and its stream stay open. Every event, the
//     last one too, must end with a blank line: a body that ends inside
//     an event is answered 400 ("the body ended inside an event") after
//     the events before it were delivered. The SSE rules would drop such
//     an event silently, and the client would take the answer for
//     "delivered".
//   - A body of unknown length (chunked, or HTTP/2 without Content-Length)
//     with Content-Type application/octet-stream: crossws's raw stream
//     mode. Each read of the body is one text message, answered 200 with
//     an empty body at the end. There is no framing: message boundaries
//     are whatever the network's reads return, so a sender's writes may be
//     merged or split (a rune split between reads is carried over), and
//     a chunk longer than 2 KiB may arrive as its first 2 KiB and the
//     rest: an idle stream waits with a 2 KiB buffer, and a bigger pooled
//     one is used only while data keeps coming. Invalid UTF-8 is
//     answered 400 after the valid text before it was delivered. Use the
//     framed uplink when boundaries matter.
//   - Any other body is one message: binary if its Content-Type is
//     application/octet-stream, text otherwise. Answered 204 once the
//     Message hook returned.
//
// Exactly once: a client may number its messages 1, 2, 3, … per peer (a
// resumed peer goes on, a new one starts again at 1), with the header
// X-Anyws-Seq on a one-message POST and with each event's id field in a
// framed uplink. A number the peer already delivered is dropped (and the
// POST answered as if delivered), so a client that sends again what got
// no answer (anyws.js and websocketsse do, after a dropped connection)
// delivers it once. Unnumbered messages (crossws's clients, the raw
// stream) are delivered as they come. The number is kept when the POST
// is forwarded to the node holding the stream.
//
// The Upgrade hook runs for every uplink POST too, as in crossws: its
// Rejection refuses the POST (an expired session, say) and its headers
// are added to the answer; what it sets for a new peer (namespace,
// values, sub-protocol) is ignored, since the peer exists already.
//
// # Uplink deadlines and limits
//
// Streams and streaming uplinks clear the server's ReadTimeout and
// WriteTimeout for their request; every stream write has its own
// deadline. Every uplink read has an end:
//
//   - a one-message body must arrive within Options.UplinkTimeout
//     (default 10 s, or the server's ReadTimeout if shorter): 408
//     otherwise;
//   - a one-message or streaming POST still reading when its peer closes
//     is ended at once (404): no uplink outlives its stream. A streaming
//     POST forwarded from another node (see below) learns it by asking
//     the node that holds the stream, every 15 s;
//   - a POST refused before its body was read to its end (no token,
//     unknown token, foreign origin, wrong method, one-way route, the
//     Upgrade hook's rejection, any uplink error) is answered at once
//     over HTTP/1.x with Connection: close and the connection closed:
//     net/http would otherwise read the body before answering, and after,
//     so a client that never ends its body could hold a connection and a
//     goroutine without a token. HTTP/2 resets the request's stream.
//
// Streaming uplinks (raw or framed) are counted: at most
// Options.MaxStreamingUplinksPerPeer per peer (default 1; one more gets
// 409) and Options.MaxStreamingUplinks per Handler (default 10,000; one
// more gets 429). One-message POSTs are not counted.
//
// # Errors and limits
//
// Every error is a status with a text body starting with "anyws: ":
//
//   - 404: unknown or closed token (the peer ended; open a new stream);
//   - 400: a POST without x-crossws-id, invalid UTF-8 in a text message, a
//     malformed framed uplink, an X-Anyws-Seq or framed event id that is
//     not a number from 1 up;
//   - 413: a message over Options.MaxMessageBytes (default 1 MiB);
//   - 408: a one-message body slower than Options.UplinkTimeout;
//   - 409: a second streaming uplink for one peer
//     (Options.MaxStreamingUplinksPerPeer); 429: too many streaming
//     uplinks on the Handler (Options.MaxStreamingUplinks);
//   - 403: a request with an Origin header from another origin, unless
//     Options.OriginPatterns allows it (streams and POSTs alike, so a
//     foreign page can neither open peers nor post as one);
//   - 406: a GET that does not accept text/event-stream;
//   - 405 with Allow: GET, POST (GET in one-way mode, where POSTs are
//     refused too): any other method. CORS preflights are not answered:
//     wrap the handler in a CORS middleware for cross-origin clients;
//   - 503 once the Hub is shut down; the Upgrade hook's own rejection.
//
// A POST forwarded to the node holding its stream (see the Hub's broker)
// gets that node's verdict, or: 502 when that node is not reachable
// through the broker (it stopped, or a broker reconnect is under way) and
// 503 when it is too busy, both meaning "not delivered, send it again";
// 504 when it did not answer within 10 s, meaning "delivery unknown"
// (the Message hook may have run): resending may deliver it twice.
//
// # Differences from crossws
//
//   - The uplink token is a secret (128 random bits), not the peer's id:
//     ids are shown to other users ("X joined"), and in crossws anyone who
//     knows one can post as that peer. crossws clients treat the token as
//     opaque, so they work unchanged.
//   - Multi-line payloads are one data: line per line; crossws 0.4 joins
//     them with commas, which corrupts them.
//   - A server-side close sends a close event (crossws's client turns it
//     into onclose) and the Close hook runs when the client disconnects,
//     at once.
//   - An unknown token gets 404 with a text body, not 400 "invalid peer
//     id".
//   - Besides crossws's raw stream mode (no message boundaries) there is
//     the framed uplink, with boundaries and binary messages.
package sse
