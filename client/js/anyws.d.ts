// Types of @anyws/client (anyws.js), written by hand. They need the DOM
// library ("lib": ["dom", ...] in tsconfig.json), as WebSocket's do.

/** A message as received: text, or binary as binaryType says. */
export type AnyWSData = string | ArrayBuffer | Blob;

/** What send() accepts, as WebSocket.send does. */
export type AnyWSSendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** The transport of an open connection. */
export type AnyWSTransport = "websocket" | "sse";

/** How an SSE connection sends: one long framed POST, or one POST per message. */
export type AnyWSUplink = "stream" | "post";

/**
 * Why a connection is over SSE rather than WebSocket:
 * - "forced": the transport option is "sse";
 * - "unavailable": this environment has no WebSocket;
 * - "failed": the WebSocket upgrade failed or was refused (a proxy that
 *   blocks upgrades, a server that turned them off, 401 or 403: browsers
 *   hide the HTTP status of a refused upgrade, so the client cannot say
 *   which);
 * - "timeout": the WebSocket did not open within the timeout option.
 */
export type AnyWSFallbackReason = "forced" | "unavailable" | "failed" | "timeout";

/** Why the client fell back to SSE: see {@link AnyWS.fallback}. */
export interface AnyWSFallback {
  readonly reason: AnyWSFallbackReason;
  /** The error text of the failed WebSocket attempt, for logs. */
  readonly message: string;
}

/**
 * Decides whether to reconnect after a close or a refused connection.
 * code and reason are those of the close event that follows; status is the
 * HTTP status of a refused connection (code is then 4000 + status), else 0.
 */
export type AnyWSReconnectRule = (code: number, reason: string, status: number) => boolean;

/** Options of the AnyWS constructor; every one is optional. */
export interface AnyWSOptions {
  /** "auto" (default): WebSocket, then SSE if it fails; "websocket" or "sse" force one. */
  transport?: "auto" | AnyWSTransport;
  /**
   * How SSE sends. "auto" (default) streams one long framed POST when the
   * browser can stream request bodies and the server is reached over
   * HTTP/2 or HTTP/3, else one POST per message; "stream" or "post" force
   * one ("post" is what crossws's SSE adapter understands).
   */
  uplink?: "auto" | AnyWSUplink;
  /** WebSocket sub-protocols. SSE carries none: protocol is "" over SSE. */
  protocols?: string | string[];
  /**
   * Whether to reconnect after a close the client did not ask for: true
   * (default: not after 1000, 1002, 1003, 1007-1010 nor 4000-4999, which
   * includes refused connections), false, or a rule.
   */
  reconnect?: boolean | AnyWSReconnectRule;
  /** First reconnection delay in ms (default 500). */
  minDelay?: number;
  /** Largest reconnection delay in ms (default 10000). */
  maxDelay?: number;
  /** Backoff: each failed attempt multiplies the delay by factor (default 2, at least 1). */
  factor?: number;
  /** Share of each delay taken off at random, 0 to 1 (default 0.5: each delay is 50-100% of the nominal one). */
  jitter?: number;
  /** Reconnection attempts in a row without an open before giving up (default Infinity; 0 never reconnects). */
  maxAttempts?: number;
  /** ms to wait for a connection to open before trying the next transport or retrying (default 8000). */
  timeout?: number;
  /** Messages send() may hold while (re)connecting (default 1000); beyond that send() throws. */
  maxQueue?: number;
  /** Send cookies cross-origin with the event stream, as EventSource's option does. */
  withCredentials?: boolean;
  /**
   * Claim the peer back after a dropped connection (default true; see
   * {@link AnyWSOpenEvent}). Over WebSocket the client then marks its URL
   * (anyws=2) and says hello first; a server that answers with anything
   * but anyws's hello, or with nothing within timeout, is taken for a
   * plain one (its first message is delivered, later connections are not
   * marked), but its Message hook gets the hello, the text
   * {"marks":[]}. false:
   * every connection is a new peer and WebSocket is plain, as crossws's
   * WebSocket servers expect.
   */
  resume?: boolean;
}

/** The options of the (url, protocols, options) form, which takes protocols apart. */
export type AnyWSOptionsWithoutProtocols = Omit<AnyWSOptions, "protocols">;

/**
 * The "open" event, with the recovery state of the connection.
 *
 * Against a server that keeps a dropped peer for a while (anyws's
 * Options.ResumeWindow), a client that reconnects after a drop claims its
 * peer back: over SSE with the last event id it received (the
 * Last-Event-ID header, as EventSource does), over WebSocket in its hello
 * (the connection opens once the server answered). If the server still
 * has the peer, resumed is true: the same peer (same id, subscriptions
 * and values), what the client missed comes first, each message once, in
 * order, and what the server had not received of the client's messages
 * is sent again, in order, before anything new. Against a server without
 * recovery, after a clean close, with resume: false, or when the claim
 * failed, the connection is a new peer: resumed is false.
 *
 * A server whose broker keeps peer records gives each topic message its
 * topic position (a mark: over SSE at the end of the event id, over
 * WebSocket a first line the client strips). The client keeps the last
 * one per topic for as long as the peer lives and sends them with its
 * claim, so that a peer whose server died (killed, not drained) can be
 * rebuilt on another server: resumed and recovered are then true.
 */
export interface AnyWSOpenEvent extends Event {
  /**
   * True when the server gave the earlier peer back: nothing was lost,
   * unless recovered is true too.
   */
  readonly resumed: boolean;
  /**
   * True (with resumed) when the server that had the peer was lost and
   * another rebuilt the peer from the marks the client sent: its
   * subscriptions are back and the topic messages it missed follow, but
   * direct messages (Peer.Send) the lost server had not sent are gone,
   * and the messages the client had sent without a confirmation are
   * reported in "error" events (unsent) and not sent again: the new
   * server cannot know which of them the lost one delivered (at most
   * once). False otherwise.
   */
  readonly recovered: boolean;
  /**
   * True (with resumed) when the client had missed more than the server
   * kept for it, and the topic messages it missed came again from the
   * topics' history, after the marks it sent: direct messages among what
   * was not kept are gone. False otherwise.
   */
  readonly mended: boolean;
  /**
   * The topics a recovered or mended peer could not get back what it
   * missed of (the history no longer held it, or the claim did not say
   * where the client stood): they continue live. Empty otherwise.
   */
  readonly gaps: readonly string[];
  /**
   * True when this is a reconnection after a dropped connection that got
   * a new peer: messages sent to the earlier peer while the client was
   * away (or not yet received when the connection dropped) may have been
   * lost, and its subscriptions are gone. False on the first open, after
   * a resume, and after a clean close.
   */
  readonly lost: boolean;
  /**
   * Why a claim got a new peer: "unknown" (the server no longer has the
   * peer: the window ended, or another server), "gap" (what the client
   * missed is no longer kept, or over WebSocket what the server missed of
   * the client's messages) or "refused" (a malformed claim); "" when
   * resumed or when nothing was claimed.
   */
  readonly resumeReason: "" | "unknown" | "gap" | "refused" | (string & {});
}

/**
 * The "close" event: a CloseEvent (code, reason, wasClean) that also says
 * whether the client will reconnect and, for a refused connection, the
 * HTTP status.
 */
export interface AnyWSCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /** True if a "reconnecting" event and a new connection follow. */
  readonly willReconnect: boolean;
  /**
   * The HTTP status of a refused connection, else 0. A 4xx (but 408, 425
   * and 429) ends the client with code 4000 + status: 4401, 4403, 4404...
   * and the server's text as reason. Seen over SSE only: browsers hide the
   * status of a refused WebSocket upgrade, so with transport "auto" the
   * client learns it from the event-stream attempt that follows, and with
   * transport "websocket" it never does (maxAttempts bounds the retries).
   */
  readonly status: number;
}

/** The "error" event: an ErrorEvent, with what could not be delivered. */
export interface AnyWSErrorEvent extends Event {
  readonly message: string;
  readonly error: unknown;
  /**
   * The message send() took and could not deliver, if the error is about
   * one. Over a resumable SSE stream, a message whose POST got no answer
   * is sent again after the reconnection and reported here only if the
   * peer was not resumed (it may or may not have been delivered). Over a
   * resumable WebSocket, which has no acknowledgements, every message the
   * client kept for sending again (the last MiB or so) is reported when
   * the peer was not resumed: each may or may not have been delivered.
   * Over both, so are those of a recovered peer (see
   * {@link AnyWSOpenEvent.recovered}), which are not sent again.
   */
  readonly unsent?: AnyWSSendData;
  /** The HTTP status of a failed connection attempt, else 0. */
  readonly status: number;
}

/** The "reconnecting" event: the next attempt and how long until it. */
export interface AnyWSReconnectingEvent extends Event {
  /** 1 for the first attempt after a close or a failure, then 2, 3... */
  readonly attempt: number;
  /** ms until the attempt. */
  readonly delay: number;
}

/** The client's own events. Any other type is a named SSE event (a MessageEvent). */
export interface AnyWSEventMap {
  open: AnyWSOpenEvent;
  message: MessageEvent<AnyWSData>;
  close: AnyWSCloseEvent;
  error: AnyWSErrorEvent;
  reconnecting: AnyWSReconnectingEvent;
}

/**
 * AnyWS is a WebSocket-like client that connects over WebSocket and falls
 * back by itself to bidirectional Server-Sent Events when the upgrade
 * fails. Unlike a WebSocket it lives across connections: it reconnects
 * with backoff and jitter and fires open, close (willReconnect), and
 * reconnecting for each connection. See README.md.
 */
export declare class AnyWS extends EventTarget {
  /** WebSocket's (url, protocols) form; options may follow. */
  constructor(url: string | URL, protocols?: string | string[], options?: AnyWSOptionsWithoutProtocols);
  /** The options form. */
  constructor(url: string | URL, options?: AnyWSOptions);

  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;

  /** The endpoint as an absolute http(s) URL (ws: and wss: are turned into those). */
  readonly url: string;
  /** CONNECTING while (re)connecting, OPEN, CLOSING after close(), CLOSED for good. */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The sub-protocol the server chose over WebSocket, else "". */
  readonly protocol: string;
  /** Always "". */
  readonly extensions: string;
  /** How binary messages are delivered: "blob" (default) or "arraybuffer". */
  binaryType: "blob" | "arraybuffer";
  /** Bytes send() took and the network has not yet. */
  readonly bufferedAmount: number;

  /** The transport of the open connection, "" while none is open. */
  readonly transport: AnyWSTransport | "";
  /** Over SSE the uplink in use, else "". */
  readonly uplink: AnyWSUplink | "";
  /** Why the connection is over SSE; null over WebSocket and before the first open. */
  readonly fallback: AnyWSFallback | null;

  onopen: ((this: AnyWS, ev: AnyWSOpenEvent) => any) | null;
  onmessage: ((this: AnyWS, ev: MessageEvent<AnyWSData>) => any) | null;
  onclose: ((this: AnyWS, ev: AnyWSCloseEvent) => any) | null;
  onerror: ((this: AnyWS, ev: AnyWSErrorEvent) => any) | null;

  /** Sends a message, or queues it while (re)connecting. Throws after close(). */
  send(data: AnyWSSendData): void;
  /**
   * Closes for good: delivers what was sent, then fires "close". code must
   * be 1000 or 3000-4999 and reason at most 123 bytes of UTF-8. Over SSE,
   * to a server that keeps peers for a resume, a goodbye POST (header
   * X-Anyws-Leave, fetch keepalive) carries them, so that the peer closes
   * at once with them rather than at the end of its window.
   */
  close(code?: number, reason?: string): void;

  addEventListener<K extends keyof AnyWSEventMap>(type: K, listener: (this: AnyWS, ev: AnyWSEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  /**
   * A named SSE event: over SSE, an event whose type is not message is
   * dispatched under its type. Needs a server that sends named events
   * (anyws's Go server sends them for an anyws.Event; over WebSocket the
   * data arrives as a message event).
   */
  addEventListener(type: string, listener: (this: AnyWS, ev: MessageEvent<AnyWSData>) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof AnyWSEventMap>(type: K, listener: (this: AnyWS, ev: AnyWSEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: (this: AnyWS, ev: MessageEvent<AnyWSData>) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/**
 * Reports whether a streaming request body to url will work: the browser
 * can stream request bodies and the server is known to be reached over
 * HTTP/2 or HTTP/3. uplink "auto" uses it.
 */
export declare function canStream(url: string | URL): boolean;
