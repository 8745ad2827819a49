// Package auto serves every transport of an anyws Hub on one URL:
// WebSocket upgrades, bidirectional Server-Sent Events (the stream and its
// uplink POSTs), and anyws's JavaScript client, which tries WebSocket and
// falls back to SSE by itself.
//
// Start with [New] and mount the Handler once:
//
//	mux.Handle("/_ws", auto.New(hub, nil))
//	mux.Handle("/anyws.js", auto.Client())
//
// In the browser:
//
//	import { AnyWS } from "/anyws.js";
//	const ws = new AnyWS("/_ws");
//	ws.onmessage = (e) => console.log(e.data, "over", ws.transport);
//
// WebSocket and SSE peers share the Hub, so they see each other's
// publishes; the application cannot tell which transport a peer uses
// unless it asks (Peer.Transport).
//
// # Why a package of its own
//
// The root package must not import the adapters (they import it), so the
// all-transports handler cannot be a Hub method. A Hub that takes a list
// of transports would invert the dependency but make every application
// wire the adapters itself; one more import is less code in user programs
// and keeps each adapter usable alone.
//
// # The JavaScript client
//
// [ClientSource] is the npm package @anyws/client's anyws.js (client/js
// in the repository, embedded from there, so the served file and the
// package are the same code): an ES module with no dependencies and no
// build step, typed by the package's anyws.d.ts. The Handler serves it for
// a GET whose path ends in "/anyws.js" (so mounted on a subtree, "/_ws/",
// it is at /_ws/anyws.js); [Client] serves it on any path. It exports
// AnyWS, a WebSocket-like object (send, close, onopen/onmessage/onclose/
// onerror, addEventListener, readyState, binaryType, bufferedAmount,
// protocol, the (url, protocols) constructor form) that:
//
//   - tries WebSocket, and on a failed or refused upgrade (or after
//     options.timeout) uses SSE, saying why in ws.fallback;
//     {transport: "sse"} forces SSE;
//   - over SSE sends with one long framed POST when the browser can
//     stream request bodies and the server is reached over HTTP/2 or
//     HTTP/3 (Chromium streams bodies over those only), else with one POST
//     per message, in order; {uplink: "post"} forces the latter, which is
//     also what crossws's SSE adapter understands;
//   - stops when the Upgrade hook refuses the connection with a 4xx
//     (a [anyws.Rejection] of 401, 403, 404...): close fires with code
//     4000 + status and event.status, and it does not retry;
//   - reconnects with exponential backoff and jitter (maxAttempts bounds
//     it) after a close it did not ask for, firing close (a CloseEvent,
//     with willReconnect) and reconnecting events; every reconnection is
//     a new peer;
//   - reports every message it could not deliver as an error event with
//     the message in event.unsent, and never sends one twice.
//
// client/js/README.md lists every option.
//
// # Behind a proxy
//
// SSE needs an unbuffered response: the SSE adapter sends
// X-Accel-Buffering: no, which nginx honours; elsewhere turn response
// buffering off for the URL (nginx: proxy_buffering off). Raise the
// proxy's read timeout above the SSE keep-alive interval (15 s by
// default; nginx's proxy_read_timeout is 60 s). For WebSocket, forward
// the upgrade (nginx: proxy_http_version 1.1 and the Upgrade and
// Connection headers). The streaming uplink needs HTTP/2 from the browser
// to the proxy and an unbuffered request body (nginx:
// proxy_request_buffering off); without them the client uses one POST per
// message.
package auto
