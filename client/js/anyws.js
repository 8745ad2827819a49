// anyws.js: the browser client of anyws (github.com/anyws/anyws), the npm
// package @anyws/client. The Go server serves this same file as /anyws.js
// (adapters/auto embeds it from client/js), so both ways load one code:
//
//   import { AnyWS } from "@anyws/client";   // npm install @anyws/client
//   import { AnyWS } from "/anyws.js";       // served by auto.Client()
//
// AnyWS is a WebSocket-like object that connects over WebSocket and falls
// back by itself to bidirectional Server-Sent Events (an event-stream GET
// downlink plus HTTP POSTs uplink) when the upgrade fails or is blocked.
// It reconnects with backoff and jitter, stops for good when the server
// refuses the connection (401, 403, 404, ...), and reports every message it
// could not deliver as an "error" event. No dependencies, no build step:
//
//   const ws = new AnyWS("/_ws");              // or new AnyWS(url, "proto")
//   ws.onopen = () => ws.send("hello");        // or { transport: "sse" }
//   ws.onmessage = (e) => console.log(e.data, "via", ws.transport);
//
// anyws.d.ts documents every member and option; README.md has a typed
// example. The SSE mode speaks crossws's wire format, so it also works
// against crossws's SSE adapter with uplink "post" (crossws reads a
// streaming POST as raw chunks).
//
// Constructor: new AnyWS(url, protocols?, options?) as WebSocket's
// (url, protocols) form, or new AnyWS(url, options) with protocols among
// the options. Options (all optional):
//   transport       "auto" (default): WebSocket, then SSE if it fails;
//                   "websocket" or "sse" force one.
//   uplink          how SSE sends: "auto" (default) streams one long framed
//                   POST when the browser can stream request bodies and the
//                   server is reached over HTTP/2 or HTTP/3, else one POST
//                   per message; "stream" or "post" force one.
//   protocols       WebSocket sub-protocols (a string or an array; SSE
//                   carries none, so ws.protocol is "" over SSE).
//   reconnect       true (default), false, or a function (code, reason,
//                   status) => boolean deciding whether to reconnect after
//                   a close or a refused connection.
//   minDelay        first reconnection delay in ms (default 500); each
//                   failed attempt multiplies it by factor (default 2) up
//                   to maxDelay (default 10000); jitter (0 to 1, default
//                   0.5) takes up to that share off each delay at random.
//   maxAttempts     reconnection attempts in a row without an open before
//                   the client gives up (default Infinity).
//   timeout         ms to wait for a connection to open (default 8000).
//   maxQueue        messages send() may hold while (re)connecting (default
//                   1000); beyond that send() throws.
//   withCredentials send cookies cross-origin with the event stream, as
//                   EventSource's option does.
//   resume          true (default): claim the peer back after a drop (see
//                   Recovery); false: every connection is a new peer, and
//                   WebSocket is plain (no anyws=2 mark, no hello: for
//                   crossws's WebSocket servers, see below).
//
// Lifetime: unlike a WebSocket, one AnyWS lives across connections. Each
// "open" is followed by one "close" (a CloseEvent with code, reason and
// wasClean, plus willReconnect and status); if the client reconnects, a
// "reconnecting" event (attempt, delay) follows and later a new "open".
// It stops for good after
// close(), after a close the reconnect rule refuses (1000 normal closure,
// 1008 policy, application codes 4000-4999, ...), after maxAttempts, or
// with reconnect: false.
//
// Recovery: when the server keeps a dropped peer for a while (anyws's
// Options.ResumeWindow), a client that reconnects after a drop (not
// after a clean close) claims it back: the server gives the same peer
// back (id, subscriptions) and sends what the client missed, each
// message once, in order. Over SSE the stream opens with an "anyws"
// hello event and every message carries an id "<secret>:<seq>"; the
// client sends the last one as Last-Event-ID, as EventSource does. Over
// WebSocket the client marks its URL (anyws=2) and the two sides say
// hello first (see openWebSocket); the claim counts the messages
// received. Each "open" event says how it went: resumed (the earlier
// peer is back, nothing was lost) and lost (a reconnection after a drop
// that got a new peer: messages may have been lost), plus resumeReason
// ("unknown", "gap", "refused") when a claim failed. A reconnection to a
// server without recovery is a new peer (resumed false).
//
// Marks: a server whose broker keeps peer records (its hello says
// "marks": true) gives each topic message its topic position, a mark
// "<tag><offset>": over SSE at the end of the id ("<secret>:<seq>~<mark>"),
// over WebSocket as the message's first line, which the client strips.
// The client keeps the last offset per tag (tags are opaque to it) for
// as long as the peer lives, and claims with them (SSE: the
// X-Anyws-Marks header, space-separated; WebSocket: the hello's
// "marks"), so that a peer whose server died can be rebuilt on another
// from what the client received. Such an open is resumed and recovered
// (event.recovered): the topic messages missed follow, but direct
// messages the lost server had not sent are gone, and what the client
// sent without a confirmation is reported unsent and not sent again
// (the new server cannot know which of them the lost one delivered: at
// most once).
//
// Plain WebSocket servers: a server that answers the marked connection
// with anything but anyws's hello (crossws, an older anyws), or says
// nothing within the timeout, is taken for a plain one: its first
// message is delivered as a message, there is no recovery, and later
// connections are neither marked nor say hello. Its Message hook does
// get the first connection's hello, the text {"marks":[]}: with
// resume: false the client never sends it.
//
// Goodbye: over SSE the server cannot tell a client that leaves from one
// that dropped, and would keep its peer for the window. close(code,
// reason) therefore first POSTs a goodbye (header X-Anyws-Leave: code,
// the reason as body; fetch keepalive, so a close() in a pagehide
// handler still sends it) to a server that said hello: the peer closes
// at once and its Close hook sees code (1000 when none was given) and
// reason. The goodbye goes after what was sent before close(); when a
// POST is still in flight at page unload it may not go at all, and the
// peer closes when the window ends.
//
// Refused connections: browsers hide the HTTP status of a refused
// WebSocket upgrade, but the event-stream GET that follows shows it. A
// 4xx answer (but 408, 425 and 429, which are retried) ends the client:
// "close" fires with code 4000 + status (4401, 4403, 4404, ...), the
// server's text as reason, and event.status set to the HTTP status. Other
// failures (5xx, network errors) fire "error" (with event.status when
// there was an answer) and are retried. With transport "websocket" the
// status cannot be known: maxAttempts bounds the retries.
//
// Fallback: ws.fallback says why the connection is over SSE: null over
// WebSocket, else { reason, message } with reason "forced" (transport
// "sse"), "unavailable" (no WebSocket in this environment), "failed" (the
// upgrade failed or was refused: browsers do not say which) or "timeout".
// Once SSE worked where WebSocket failed, reconnections go straight to
// SSE and ws.fallback keeps the first reason.
//
// Named events: over SSE, an event with a type other than message is
// dispatched under that type as a MessageEvent (listen with
// addEventListener("name", ...)); anyws's Go server sends them for an
// anyws.Event. The names open, close, error, reconnecting and
// crossws-id are reserved and never dispatched this way.
//
// Binary over SSE: the stream request asks for binary events (header
// x-anyws-binary: event) when the URL is on the page's origin (a custom
// header would need a CORS preflight elsewhere). An anyws server grants
// them in the same response header and sends binary as "binary" events,
// so a text message is always text, even one that looks like crossws's
// data URL. Otherwise (a crossws server, another origin) a message whose
// data is a "data:application/octet-stream;base64," URL is binary, as
// crossws's convention has it.
//
// Sending: send() accepts a string, Blob, ArrayBuffer or typed array. While
// connecting, messages are queued and sent in order once open. Over SSE a
// POST the server refuses (the peer is gone, 413) fires "error" with the
// message in event.unsent. Over a resumable stream every message is
// numbered (the X-Anyws-Seq header of a POST, the id of a framed event)
// and the server delivers each number once, so what got no answer (a
// network error, a streaming uplink that broke) is sent again, in order,
// once the connection is back, and reported as unsent only if the peer
// was not resumed. Without recovery such messages are reported as unsent
// at once and never retried, so nothing is delivered twice. Over a
// resumable WebSocket, messages are numbered by their order and the
// client keeps the last ones it sent (1 MiB beyond what the browser still
// buffers): the server's hello says which one it received last, and
// those after it go again, in order, before anything new. A WebSocket
// has no acknowledgements, so when the peer is not resumed every message
// kept is reported unsent (it may or may not have been delivered); if
// the server missed more than was kept, the client gives the resumed
// peer up, comes back as a new one (resumeReason "gap") and reports what
// it kept. On both, a recovered peer (see Marks) gets none of them again:
// they are reported unsent.

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

// The SSE downlink carries binary messages as this data URL (crossws's
// convention).
const BINARY_PREFIX = "data:application/octet-stream;base64,";
const TOKEN_HEADER = "x-crossws-id";
// anyws's own: the hello event of a resumable stream, the header that
// claims the earlier peer, and the number of an uplink message.
const HELLO_EVENT = "anyws";
const LAST_ID_HEADER = "last-event-id";
const SEQ_HEADER = "x-anyws-seq";
// anyws's own: the goodbye POST of a client that closes an SSE
// connection (its value is the close code, its body the reason).
const LEAVE_HEADER = "x-anyws-leave";
// anyws's own: the query parameter with which the client tells an anyws
// server that it speaks its WebSocket recovery protocol (a hello each way,
// then numbered messages: see openWebSocket), and its revision.
const CLIENT_PARAM = "anyws";
const CLIENT_REVISION = "2";
// anyws's own: marks, a topic message's position ("<tag><offset>": the
// tag TAG_LEN opaque characters, the offset decimal), which a server
// whose broker keeps peer records sends with each topic message (see
// Recovery) and the client sends back with its claim, the last one per
// tag: over SSE in this header (space-separated), after MARK_SEP at the
// end of an event's id.
const MARKS_HEADER = "x-anyws-marks";
// With a claim: the number of the last message this client numbered, so
// that a peer rebuilt after its server died never delivers one twice.
const SENT_HEADER = "x-anyws-sent";
const MARK_SEP = "~";
const TAG_LEN = 8;
// What a resumable WebSocket keeps of the messages it sent, to send again
// those the server did not receive when the connection dropped: as the Go
// client, 1 MiB beyond what the browser has not handed to the network yet
// (TCP delivers in order: only what was in flight at the drop can be
// missing).
const RESEND_BYTES = 1 << 20;
// Binary events (anyws): asked for and granted with this header and
// value; a binary message then comes as a BINARY_EVENT with base64 data.
const BINARY_HEADER = "x-anyws-binary";
const BINARY_EVENTS = "event";
const BINARY_EVENT = "binary";

// Close codes after which the client does not reconnect by default: the
// server or the client meant it, or reconnecting would fail the same way.
const FINAL_CODES = new Set([1000, 1002, 1003, 1007, 1008, 1009, 1010]);

// A refused connection closes with REFUSED_BASE + its HTTP status.
const REFUSED_BASE = 4000;

// Event types of the client itself: a named SSE event never uses them.
const RESERVED_EVENTS = new Set(["open", "message", "close", "error", "reconnecting", "crossws-id", HELLO_EVENT]);

const defaults = Object.freeze({
  transport: "auto",
  uplink: "auto",
  protocols: undefined,
  reconnect: true,
  minDelay: 500,
  maxDelay: 10000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
  timeout: 8000,
  maxQueue: 1000,
  withCredentials: false,
  resume: true,
});

export class AnyWS extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSING = CLOSING;
  static CLOSED = CLOSED;
  CONNECTING = CONNECTING;
  OPEN = OPEN;
  CLOSING = CLOSING;
  CLOSED = CLOSED;

  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  /** The absolute http(s) URL of the endpoint. */
  url;
  /** The negotiated WebSocket sub-protocol, or "". */
  protocol = "";
  extensions = "";

  #opts;
  #state = CONNECTING;
  #binaryType = "blob";
  #conn = null; // the open connection
  #queue = []; // sends made while connecting
  #attempt = 0;
  #timer = 0;
  #stopped = false; // close() was called or the client gave up
  #wsBroken = false; // WebSocket failed where SSE worked: skip it from now on
  #fallback = null; // why the current or last connection is over SSE
  // Recovery (SSE): the last event id received, sent as Last-Event-ID to
  // claim the peer back; whether the last connection dropped (rather
  // than closed cleanly); the uplink numbering of the current peer; and
  // a promise of the messages the dropped connection did not get an
  // answer for.
  #lastId = "";
  #dropped = false;
  #seqs = { next: 1 };
  #left = null;
  // Recovery (WebSocket): the server answered a marked connection without
  // anyws's hello (crossws, a plain server): later connections are not
  // marked. failedResume: why the client gave up a resumed peer itself
  // (for the next open's resumeReason).
  #plainWS = false;
  #failedResume = "";
  // Marks (both transports): the last offset received per mark tag
  // (tag => decimal string), kept across the connections of one peer
  // and sent with its claim.
  #marks = new Map();

  constructor(url, protocols, options) {
    super();
    let opts = protocols;
    if (typeof protocols === "string" || Array.isArray(protocols)) {
      opts = { ...options, protocols };
    } else if (protocols === undefined || protocols === null) {
      opts = options;
    }
    this.#opts = { ...defaults, ...opts };
    const o = this.#opts;
    if (!["auto", "websocket", "sse"].includes(o.transport)) {
      throw new TypeError(`anyws: transport must be "auto", "websocket" or "sse", not ${JSON.stringify(o.transport)}`);
    }
    if (!["auto", "stream", "post"].includes(o.uplink)) {
      throw new TypeError(`anyws: uplink must be "auto", "stream" or "post", not ${JSON.stringify(o.uplink)}`);
    }
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`anyws: jitter must be between 0 and 1, not ${o.jitter}`);
    if (!(o.factor >= 1)) throw new RangeError(`anyws: factor must be 1 or more, not ${o.factor}`);
    if (!(o.maxAttempts >= 0)) throw new RangeError(`anyws: maxAttempts must be 0 or more, not ${o.maxAttempts}`);
    const u = new URL(url, globalThis.location?.href);
    u.protocol = u.protocol.replace(/^ws/, "http");
    this.url = u.href;
    this.#connect();
  }

  get readyState() { return this.#state; }
  /** "websocket" or "sse" once open; "" before. */
  get transport() { return this.#conn?.transport ?? ""; }
  /** Over SSE, "stream" or "post"; "" over WebSocket or before open. */
  get uplink() { return this.#conn?.uplink ?? ""; }
  /** Why the connection is over SSE ({ reason, message }), or null. */
  get fallback() { return this.#fallback; }
  get binaryType() { return this.#binaryType; }
  set binaryType(t) {
    if (t === "blob" || t === "arraybuffer") this.#binaryType = t;
  }
  /** Bytes accepted by send() and not yet handed to the network. */
  get bufferedAmount() {
    let n = this.#conn?.buffered() ?? 0;
    for (const d of this.#queue) n += sizeOf(d);
    return n;
  }

  /** Sends a message, or queues it while (re)connecting. */
  send(data) {
    if (this.#state === CLOSING || this.#state === CLOSED) {
      throw new DOMException("anyws: send() after close()", "InvalidStateError");
    }
    if (this.#state === CONNECTING) {
      if (this.#queue.length >= this.#opts.maxQueue) {
        throw new DOMException(`anyws: ${this.#queue.length} messages already wait for the connection (maxQueue)`, "QuotaExceededError");
      }
      this.#queue.push(data);
      return;
    }
    this.#conn.send(data);
  }

  /**
   * Closes for good: flushes what was sent, then fires "close". As with
   * WebSocket, code must be 1000 or 3000-4999 and reason at most 123
   * bytes of UTF-8.
   */
  close(code, reason = "") {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`anyws: close code ${code} is neither 1000 nor in 3000-4999`, "InvalidAccessError");
    }
    if (new TextEncoder().encode(reason).length > 123) {
      throw new DOMException("anyws: close reason longer than 123 bytes", "SyntaxError");
    }
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#state === CONNECTING) {
      this.#pending?.abort();
      this.#state = CLOSED;
      this.#reportLeft(new Error("anyws: closed before the connection came back"));
      this.#reportUnsent(this.#queue.splice(0), new Error("anyws: closed before the connection opened"));
      this.#fire(closeEvent(code ?? 1005, reason, false, false, 0));
      return;
    }
    if (this.#state === OPEN) {
      this.#state = CLOSING;
      this.#conn.close(code, reason);
    }
  }

  #pending = null; // abortable connection attempt

  async #connect() {
    this.#state = CONNECTING;
    let order = [this.#opts.transport];
    let fallback = this.#fallback;
    if (this.#opts.transport === "sse") {
      fallback = { reason: "forced", message: 'anyws: the transport option is "sse"' };
    } else if (this.#opts.transport === "auto") {
      if (this.#wsBroken) {
        order = ["sse"];
      } else if (typeof WebSocket !== "function") {
        order = ["sse"];
        fallback = { reason: "unavailable", message: "anyws: this environment has no WebSocket" };
      } else {
        order = ["websocket", "sse"];
      }
    }
    let lastErr;
    for (const kind of order) {
      if (this.#stopped) return;
      const attempt = new AbortController();
      this.#pending = attempt;
      try {
        const conn = await (kind === "websocket" ? this.#openWebSocket(attempt.signal) : this.#openSSE(attempt.signal));
        if (this.#stopped) {
          conn.close(1000, "");
          return;
        }
        if (kind === "sse" && order.length > 1) {
          this.#wsBroken = true;
          fallback = { reason: lastErr.reason ?? "failed", message: lastErr.message };
        }
        this.#fallback = kind === "sse" ? fallback : null;
        this.#adopt(conn);
        return;
      } catch (err) {
        lastErr = err;
        // The upgrade worked and the connection broke before the server's
        // hello, or the client gave its resumed peer up: WebSocket is not
        // what failed, so no fallback; the next attempt comes after the
        // backoff.
        if (err.upgraded) break;
      } finally {
        this.#pending = null;
      }
    }
    if (this.#stopped) return;
    const status = lastErr?.status ?? 0;
    this.#fire(errorEvent(lastErr, undefined, status));
    if (isRefusal(status)) {
      this.#retry(REFUSED_BASE + status, lastErr.body || lastErr.message, false, status);
      return;
    }
    this.#retry(1006, "connection failed", false, status);
  }

  // adopt makes conn the current connection: open, then what arrived
  // before the open, then what was sent while connecting.
  #adopt(conn) {
    this.#conn = conn;
    this.#attempt = 0;
    this.#state = OPEN;
    this.protocol = conn.protocol;
    conn.onmessage = (type, data, id, mark) => this.#receive(type, data, id, mark);
    conn.onerror = (err, unsent) => this.#fire(errorEvent(err, unsent, 0));
    conn.onend = (code, reason, wasClean) => this.#ended(conn, code, reason, wasClean);
    const open = new Event("open");
    open.resumed = !!conn.hello?.resumed;
    open.recovered = open.resumed && !!conn.hello.recovered;
    open.mended = open.resumed && !!conn.hello.mended;
    open.gaps = open.resumed && Array.isArray(conn.hello.gaps) ? conn.hello.gaps.slice() : [];
    open.lost = this.#dropped && !open.resumed;
    open.resumeReason = conn.hello?.reason || this.#failedResume;
    // A new peer has received nothing yet: its marks start afresh.
    if (!open.resumed) this.#marks.clear();
    this.#failedResume = "";
    this.#dropped = false;
    // The claim of this connection: the hello's id, then each message's.
    this.#lastId = conn.hello ? conn.hello.id : "";
    this.#fire(open);
    if (conn.orphans) {
      const why = open.recovered
        ? "anyws: the connection dropped before the server confirmed this message, and the server that had the peer was lost (the peer was recovered on another): it may or may not have been delivered, and is not sent again"
        : "anyws: the connection dropped before the server confirmed this message, and the server did not resume the peer: it may or may not have been delivered";
      conn.orphans.then((list) => this.#reportUnsent(list.map((i) => i.data), new Error(why)));
      conn.orphans = null;
    }
    for (const [type, data, id, mark] of conn.early.splice(0)) this.#receive(type, data, id, mark);
    for (const data of this.#queue.splice(0)) {
      if (this.#state !== OPEN) {
        this.#queue.unshift(data);
        break;
      }
      conn.send(data);
    }
    conn.early = null;
  }

  // receive dispatches a message, after noting its claim (an SSE id,
  // without its mark) and its mark.
  #receive(type, data, lastEventId = "", mark = "") {
    const hello = this.#conn?.hello;
    if (lastEventId && hello) this.#lastId = hello.marks ? cutMark(lastEventId)[0] : lastEventId;
    if (mark) addMark(this.#marks, mark);
    if (typeof data !== "string" && this.#binaryType === "blob") data = new Blob([data]);
    this.#fire(new MessageEvent(type, { data, origin: new URL(this.url).origin, lastEventId }));
  }

  #ended(conn, code, reason, wasClean) {
    if (this.#conn !== conn) return;
    this.#conn = null;
    this.protocol = "";
    this.#dropped = !wasClean;
    // Over WebSocket the claim is counted by the connection.
    if (conn.claim) this.#lastId = conn.claim();
    if (wasClean || !conn.hello) {
      // A clean close ends the peer on the server, and a server without
      // recovery has no peer to resume: nothing to claim or resend.
      this.#lastId = "";
      conn.leftover?.(false).then((list) => this.#reportUnsent(list.map((i) => i.data), new Error("anyws: the connection closed before this message was sent")));
    } else {
      this.#left = conn.leftover(true);
    }
    const again = !this.#stopped && this.#opts.maxAttempts > 0 && this.#wantsReconnect(code, reason, 0);
    this.#state = again ? CONNECTING : CLOSED;
    if (!again) this.#stopped = true;
    this.#fire(closeEvent(code, reason, wasClean, again, 0));
    if (again) this.#retry(code, reason, true, 0);
  }

  #wantsReconnect(code, reason, status) {
    const r = this.#opts.reconnect;
    if (typeof r === "function") return !!r(code, reason, status);
    return !!r && !FINAL_CODES.has(code) && !(code >= 4000 && code < 5000);
  }

  // retry schedules the next attempt with exponential backoff and jitter,
  // or gives up when reconnecting is off or maxAttempts is reached.
  #retry(code, reason, closeFired, status) {
    if (this.#stopped) return;
    if (!closeFired && (this.#attempt >= this.#opts.maxAttempts || !this.#wantsReconnect(code, reason, status))) {
      this.#stopped = true;
      this.#state = CLOSED;
      this.#reportLeft(new Error("anyws: could not connect again"));
      this.#reportUnsent(this.#queue.splice(0), new Error("anyws: could not connect"));
      this.#fire(closeEvent(code, reason, false, false, status));
      return;
    }
    const { minDelay, maxDelay, factor, jitter } = this.#opts;
    const nominal = Math.min(maxDelay, minDelay * factor ** this.#attempt);
    const delay = Math.round(nominal * (1 - jitter * Math.random()));
    this.#attempt++;
    const ev = new Event("reconnecting");
    ev.attempt = this.#attempt;
    ev.delay = delay;
    this.#fire(ev);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #reportUnsent(list, err) {
    for (const data of list) this.#fire(errorEvent(err, data, 0));
  }

  // reportLeft reports what a dropped connection left unconfirmed when
  // no connection will take it.
  #reportLeft(err) {
    const left = this.#left;
    this.#left = null;
    left?.then((list) => this.#reportUnsent(list.map((i) => i.data), err));
  }

  // carry decides, when a stream's token or a WebSocket's hello
  // arrives, what its uplink continues from: on a resumed peer the same
  // numbering and the messages the dropped connection left unconfirmed
  // (sent again first); on a new peer a fresh numbering, the left
  // messages being reported as unsent once the connection is open. A
  // recovered peer (its server was lost: the one that rebuilt it cannot
  // know which of them the lost one delivered) is resumed at most once:
  // the left messages are reported too, never sent again, and the
  // numbering goes on after the last one the hello says was received.
  #carry(conn) {
    const left = this.#left;
    this.#left = null;
    const h = conn.hello;
    if (h?.resumed && !h.recovered) return left;
    this.#seqs = { next: h?.resumed ? h.received + 1 : 1 };
    conn.orphans = left;
    return null;
  }

  #fire(ev) {
    if (RESERVED_EVENTS.has(ev.type)) {
      const handler = this["on" + ev.type];
      if (typeof handler === "function") {
        try {
          handler.call(this, ev);
        } catch (err) {
          setTimeout(() => { throw err; });
        }
      }
    }
    this.dispatchEvent(ev);
  }

  // openWebSocket resolves with an open WebSocket connection, or rejects
  // when the upgrade fails, is refused or times out. The rejection's
  // reason ("failed" or "timeout") becomes ws.fallback.reason; upgraded
  // says the upgrade itself worked (no fallback then).
  //
  // Recovery: unless the resume option is false or the server is known
  // to be a plain one, the URL is marked (anyws=2, the revision with
  // marks) and the connection speaks anyws's protocol (see
  // adapters/websocket/resume.go): the client says hello first,
  // {"resume":"<claim>","marks":[…]} after a drop, else {"marks":[]};
  // the server answers before anything else with its own,
  // {"id":"<secret>:<n>","resumed":…,"reason":…,"received":<m>}, and the
  // connection opens then. Both sides then count data messages: the
  // claim is the secret and n plus the messages received since; the
  // client's messages are numbered m+1, m+2, … and kept (RESEND_BYTES),
  // so that after a resume those the server did not receive go again,
  // in order, before anything else. A hello without id is a server
  // without recovery: nothing is counted. A hello with "marks": true
  // starts every later message with its mark (empty for a message that
  // has none) and a newline: the client strips that line and keeps the
  // mark; without it messages come bare. A hello with "recovered": true
  // (and resumed) rebuilt the peer on another server: the kept messages
  // are reported unsent, not sent again (see carry). A first message
  // that is not a hello is a plain server's (crossws, an older anyws):
  // it is delivered as a message, the connection opens without
  // recovery, and later connections are not marked; so is a server that
  // says nothing within the timeout.
  #openWebSocket(signal) {
    return new Promise((resolve, reject) => {
      const u = new URL(this.url);
      u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
      const marked = this.#opts.resume && !this.#plainWS;
      if (marked) u.searchParams.set(CLIENT_PARAM, CLIENT_REVISION);
      let ws;
      try {
        ws = new WebSocket(u, this.#opts.protocols);
      } catch (err) {
        // A malformed or repeated sub-protocol: the caller's mistake.
        reject(failure(err.message, { reason: "failed" }));
        return;
      }
      ws.binaryType = "arraybuffer";
      const conn = newConn("websocket", "");
      let opened = false; // the upgrade worked
      let greeted = !marked; // the server's first message was seen, or is not awaited
      let settled = false;
      // A resumable peer: the numbering of its messages (null otherwise),
      // what was sent and may need sending again ({ data, seq, size },
      // from kept[head]), and the claim's count of messages received.
      let seqs = null;
      let kept = [];
      let head = 0;
      let keptBytes = 0;
      let received = 0;
      let withMarks = false; // every message starts with its mark
      const settle = (err, code, reason) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!err) {
          resolve(conn);
          return;
        }
        ws.onopen = ws.onclose = ws.onmessage = null;
        ws.close(code, reason);
        reject(err);
      };
      const fail = (msg, reason) => settle(failure(msg, { reason, upgraded: opened }));
      const timer = setTimeout(() => {
        if (!opened) {
          fail(`anyws: WebSocket did not open within ${this.#opts.timeout} ms`, "timeout");
          return;
        }
        // Open, and no hello: a plain server that says nothing first.
        greeted = true;
        this.#plainWS = true;
        settle();
      }, this.#opts.timeout);
      signal.addEventListener("abort", () => fail("anyws: aborted", "failed"));
      const keep = (item) => {
        kept.push(item);
        keptBytes += item.size;
        while (keptBytes > RESEND_BYTES + ws.bufferedAmount && kept.length - head > 1) {
          keptBytes -= kept[head].size;
          kept[head++] = null;
        }
        if (head > 1024 && head * 2 > kept.length) {
          kept = kept.slice(head);
          head = 0;
        }
      };
      const send = (item) => {
        keep(item);
        ws.send(item.data);
      };
      // greet takes the server's hello: the claim, then what the peer
      // continues from (see carry); the connection opens once what the
      // server did not receive was sent again.
      const greet = (h) => {
        withMarks = h.marks;
        if (h.id) {
          const i = h.id.lastIndexOf(":");
          const secret = h.id.slice(0, i);
          received = Number(h.id.slice(i + 1));
          conn.hello = { resumed: h.resumed, reason: h.reason, id: h.id, recovered: h.recovered, mended: h.mended, gaps: h.gaps, received: h.received };
          conn.claim = () => secret + ":" + received;
        }
        const carried = this.#carry(conn);
        if (!conn.hello) {
          settle();
          return;
        }
        seqs = this.#seqs;
        Promise.resolve(carried ?? []).catch(() => []).then((list) => {
          if (settled) return; // aborted meanwhile
          const rest = list.filter((i) => i.seq > h.received);
          if ((rest.length > 0 ? rest[0].seq : seqs.next) !== h.received + 1) {
            // Messages the server did not receive are no longer kept:
            // give this peer up as a failed resume would, and come back
            // as a new one that reports what is left as unsent.
            this.#left = Promise.resolve(rest);
            this.#lastId = "";
            this.#failedResume = "gap";
            const reason = "anyws: messages the server did not receive are no longer kept";
            settle(failure(reason, { reason: "failed", upgraded: true }), 1000, reason);
            return;
          }
          for (const item of rest) send({ ...item, size: sizeOf(item.data) });
          seqs.next = h.received + 1 + rest.length;
          settle();
        });
      };
      ws.onopen = () => {
        opened = true;
        conn.protocol = ws.protocol;
        if (!marked) {
          settle();
          return;
        }
        const claim = this.#dropped ? this.#lastId : "";
        const marks = claim ? markList(this.#marks) : [];
        const sent = this.#seqs.next - 1;
        ws.send(JSON.stringify(claim ? { resume: claim, marks, sent } : { marks }));
      };
      ws.onmessage = (e) => {
        if (!greeted) {
          greeted = true;
          const h = parseHello(e.data);
          if (h) {
            clearTimeout(timer);
            greet(h);
            return;
          }
          this.#plainWS = true;
          settle();
        }
        if (seqs) received++;
        if (!withMarks) {
          conn.emit("message", e.data);
          return;
        }
        const [mark, data] = splitMarked(e.data);
        conn.emit("message", data, "", mark);
      };
      ws.onclose = (e) => {
        if (!settled) {
          fail(opened
            ? `anyws: the WebSocket closed before the server's hello (close code ${e.code})`
            : `anyws: WebSocket upgrade failed (close code ${e.code})`, "failed");
          return;
        }
        // What a dropped resumable connection did not send goes again.
        if (ws.bufferedAmount > 0 && (e.wasClean || !seqs)) {
          conn.onerror?.(new Error(`anyws: ${ws.bufferedAmount} bytes sent were not delivered before the connection closed`));
        }
        conn.end(e.code, e.reason, e.wasClean);
      };
      conn.send = (data) => {
        if (seqs) send({ data, seq: seqs.next++, size: sizeOf(data) });
        else ws.send(data);
      };
      conn.buffered = () => ws.bufferedAmount;
      conn.leftover = (dropped) => {
        const list = dropped ? kept.slice(head).map(({ data, seq }) => ({ data, seq })) : [];
        kept = [];
        head = 0;
        keptBytes = 0;
        return Promise.resolve(list);
      };
      conn.close = (code, reason) => {
        try {
          ws.close(code, reason);
        } catch (err) {
          conn.onerror?.(err);
          ws.close();
        }
      };
    });
  }

  // openSSE resolves once the stream has delivered its uplink token (the
  // crossws-id event), or rejects when it fails or times out. It reads
  // the stream with fetch rather than EventSource, which hides the HTTP
  // status of a refused stream and reconnects by itself as a new peer.
  #openSSE(signal) {
    return new Promise((resolve, reject) => {
      const abort = new AbortController();
      const conn = newConn("sse", "");
      let binaryEvents = false; // granted by the server: see BINARY_HEADER
      let token = "";
      let uplink = null;
      const fail = (err) => {
        clearTimeout(timer);
        abort.abort();
        reject(err);
      };
      const timer = setTimeout(() => fail(failure(`anyws: event stream did not open within ${this.#opts.timeout} ms`)), this.#opts.timeout);
      signal.addEventListener("abort", () => fail(failure("anyws: aborted")));
      const end = (code, reason, wasClean) => {
        abort.abort();
        uplink?.stop();
        conn.end(code, reason, wasClean);
      };
      const onEvent = (type, data, id) => {
        switch (type) {
          case HELLO_EVENT: {
            if (token || conn.hello) return;
            let h = {};
            try {
              h = JSON.parse(data) ?? {};
            } catch {
              // a malformed hello: not resumed
            }
            const resumed = h.resumed === true;
            conn.hello = {
              resumed,
              reason: typeof h.reason === "string" ? h.reason : "",
              id,
              recovered: resumed && h.recovered === true,
              mended: resumed && h.mended === true,
              gaps: resumed && Array.isArray(h.gaps) ? h.gaps.filter((g) => typeof g === "string") : [],
              received: Number.isSafeInteger(h.received) && h.received > 0 ? h.received : 0,
              marks: h.marks === true,
            };
            return;
          }
          case "crossws-id": {
            if (token) return;
            clearTimeout(timer);
            token = data;
            const mode = this.#opts.uplink === "auto" ? (canStream(this.url) ? "stream" : "post") : this.#opts.uplink;
            const carried = this.#carry(conn);
            const up = { url: this.url, token, conn, seqs: conn.hello ? this.#seqs : null, carried };
            uplink = mode === "stream" ? streamUplink(up) : postUplink(up);
            conn.uplink = uplink.mode;
            conn.leftover = (dropped) => (dropped ? uplink.leftover() : uplink.unsent());
            resolve(conn);
            return;
          }
          case "close": {
            let code = 1005;
            let reason = "";
            try {
              ({ code = 1005, reason = "" } = JSON.parse(data));
            } catch {
              // crossws sends no data: a plain close.
            }
            end(code, reason, true);
            return;
          }
          default: {
            // With marks, a topic message's id ends with its mark.
            const mark = conn.hello?.marks ? cutMark(id)[1] : "";
            if (binaryEvents && type === BINARY_EVENT) {
              const bin = fromBase64(data);
              if (bin) conn.emit("message", bin, id, mark); // else a broken server: dropped
            } else if (type === "message" || !RESERVED_EVENTS.has(type)) {
              conn.emit(type, binaryEvents ? data : decodeData(data), id, mark);
            }
          }
        }
      };
      const headers = { accept: "text/event-stream" };
      if (sameOrigin(this.url)) headers[BINARY_HEADER] = BINARY_EVENTS;
      if (this.#opts.resume && this.#lastId && this.#dropped) {
        headers[LAST_ID_HEADER] = this.#lastId;
        // The marks go with the claim, even none: the list is complete.
        headers[MARKS_HEADER] = markList(this.#marks).join(" ");
        headers[SENT_HEADER] = String(this.#seqs.next - 1);
      }
      fetch(this.url, {
        headers,
        credentials: this.#opts.withCredentials ? "include" : "same-origin",
        cache: "no-store",
        signal: abort.signal,
      }).then(async (res) => {
        const type = res.headers.get("content-type") ?? "";
        if (!res.ok || !/^text\/event-stream\b/i.test(type)) {
          const body = (await res.text().catch(() => "")).trim().slice(0, 200);
          throw failure(
            res.ok
              ? `anyws: the server answered the event stream with ${JSON.stringify(type)}, not text/event-stream`
              : `anyws: the server refused the event stream with ${res.status}${body ? ": " + body : ""}`,
            { status: res.ok ? 0 : res.status, body },
          );
        }
        binaryEvents = res.headers.get(BINARY_HEADER)?.trim().toLowerCase() === BINARY_EVENTS;
        await readEvents(res.body, onEvent);
        throw failure("anyws: the event stream ended");
      }).catch((err) => {
        if (!token) fail(err);
        else end(1006, "event stream lost", false);
      });
      conn.send = (data) => uplink.send(data);
      conn.buffered = () => uplink?.buffered() ?? 0;
      conn.close = async (code, reason) => {
        await uplink?.flush();
        // A server that keeps peers for a resume (it said hello) would
        // keep this one for its window: say goodbye first.
        if (conn.hello && token) await within(goodbye(this.url, token, code, reason), this.#opts.timeout);
        end(code ?? 1005, reason ?? "", true);
      };
    });
  }
}

// isRefusal reports whether an HTTP status means the server refused the
// connection for good: a 4xx but those that ask to come back later.
function isRefusal(status) {
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}

// failure returns an Error carrying why a connection attempt failed:
// status (the HTTP status, 0 if none), body (the server's text) and
// reason (for ws.fallback).
function failure(message, { status = 0, body = "", reason } = {}) {
  return Object.assign(new Error(message), { status, body, reason });
}

// readEvents parses an event stream as the HTML standard's EventSource
// does (UTF-8, CR, LF or CRLF line ends, data lines joined with LF,
// comments and retry ignored) and calls onEvent(type, data, lastEventId)
// for each event. It returns when the stream ends.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let first = true;
  let type = "";
  let data = null; // lines of the event being read
  let lastId = "";
  const line = (l) => {
    if (l === "") {
      if (data !== null) onEvent(type || "message", data.join("\n"), lastId);
      type = "";
      data = null;
      return;
    }
    if (l[0] === ":") return;
    const i = l.indexOf(":");
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? "" : l.slice(i + 1);
    if (value[0] === " ") value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") (data ??= []).push(value);
    else if (field === "id" && !value.includes("\0")) lastId = value;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    if (first && buf.length > 0) {
      if (buf[0] === "\uFEFF") buf = buf.slice(1);
      first = false;
    }
    let start = 0;
    for (;;) {
      const cr = buf.indexOf("\r", start);
      const lf = buf.indexOf("\n", start);
      let end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (end < 0) break;
      let next = end + 1;
      if (buf[end] === "\r") {
        if (end + 1 === buf.length) break; // a CRLF may be split across reads
        if (buf[end + 1] === "\n") next++;
      }
      line(buf.slice(start, end));
      start = next;
    }
    buf = buf.slice(start);
  }
}

// newConn is one connection of an AnyWS. It buffers messages that arrive
// before the AnyWS adopts it and ignores everything once it has ended.
function newConn(transport, uplink) {
  const conn = {
    transport,
    uplink,
    protocol: "",
    early: [],
    ended: false,
    onmessage: null,
    onerror: null,
    onend: null,
    emit(type, data, id = "", mark = "") {
      if (conn.ended) return;
      if (conn.onmessage) conn.onmessage(type, data, id, mark);
      else conn.early?.push([type, data, id, mark]);
    },
    end(code, reason, wasClean) {
      if (conn.ended) return;
      conn.ended = true;
      closed();
      conn.onend?.(code, reason, wasClean);
    },
  };
  let closed;
  conn.closed = new Promise((resolve) => { closed = resolve; });
  return conn;
}

// An uplink takes { url, token, conn, seqs, carried }: seqs numbers the
// peer's messages ({ next }, shared with the connections that resume the
// peer) or is null when the stream is not resumable (the server would not
// drop a resent message: nothing is numbered or sent twice); carried is a
// promise of the messages an earlier connection of the same peer left
// unconfirmed ({ data, seq }), sent first with their numbers. leftover()
// resolves, once the uplink stopped after its connection ended, with
// what it could not get confirmed, in order.

// postUplink sends one POST per message, one at a time, so that messages
// arrive in the order they were sent. A POST the server refuses fires
// "error" with the message in event.unsent; the next messages are still
// tried. A numbered POST that got no answer (a network error) is sent
// again with its number, on this connection after a pause or on the next
// one; later messages wait behind it, since the server keeps only the
// highest number it delivered.
function postUplink({ url, token, conn, seqs, carried }) {
  const queue = []; // { data, seq, size }, the first one in flight
  let gate = carried ?? null;
  let running = false;
  let idle = Promise.resolve();
  let settle = () => {};
  let pause = 250;
  const post = async ({ data, seq }) => {
    const binary = typeof data !== "string";
    const headers = {
      [TOKEN_HEADER]: token,
      "content-type": binary ? "application/octet-stream" : "text/plain;charset=UTF-8",
    };
    if (seq) headers[SEQ_HEADER] = String(seq);
    return fetch(url, { method: "POST", headers, body: binary ? await toBytes(data) : data });
  };
  const pump = async () => {
    if (running) return;
    running = true;
    idle = new Promise((resolve) => { settle = resolve; });
    try {
      if (gate) {
        const list = await gate.catch(() => []);
        gate = null;
        queue.unshift(...list.map((i) => ({ ...i, size: sizeOf(i.data) })));
      }
      while (queue.length > 0 && !conn.ended) {
        const item = queue[0];
        let res;
        try {
          res = await post(item);
        } catch (err) {
          if (!item.seq) {
            queue.shift();
            conn.onerror?.(err, item.data);
            continue;
          }
          // No answer: the message may or may not have arrived. Its
          // number makes sending it again safe.
          await Promise.race([conn.closed, sleep(pause)]);
          pause = Math.min(pause * 2, 5000);
          continue;
        }
        pause = 250;
        queue.shift();
        if (!res.ok) {
          const text = await res.text().catch(() => "");
          conn.onerror?.(new Error(`anyws: the server refused a message with ${res.status}: ${text.trim()}`), item.data);
        }
      }
    } finally {
      running = false;
      settle();
    }
  };
  if (gate) pump();
  return {
    mode: "post",
    buffered: () => queue.reduce((n, i) => n + i.size, 0),
    send(data) {
      this.resend({ data, seq: seqs ? seqs.next++ : 0 });
    },
    // resend queues a message that has its number already.
    resend(item) {
      queue.push({ ...item, size: sizeOf(item.data) });
      pump();
    },
    flush: () => idle,
    stop() {
      // A POST in flight completes; the rest waits for leftover().
    },
    async leftover() {
      while (running) await idle;
      return queue.splice(0).map(({ data, seq }) => ({ data, seq }));
    },
    // unsent: after a clean end, what was never sent.
    unsent() {
      return this.leftover();
    },
  };
}

// streamUplink writes every message into one long POST whose body is a
// stream of SSE events (anyws's framed uplink, each event numbered by its
// id when seqs is given). The server answers only at its end, so what was
// written into a POST that fails is unconfirmed: numbered, it goes again
// one POST each; not numbered, it is reported in "error" events. Later
// messages go one POST each.
function streamUplink({ url, token, conn, seqs, carried }) {
  const enc = new TextEncoder();
  const abort = new AbortController();
  let controller;
  let inFlight = []; // messages written into the body: { data, seq }
  let fallback = null;
  let stopped = false;
  const write = async (item) => {
    const { data, seq } = item;
    const id = seq ? "id: " + seq + "\n" : "";
    const frame = typeof data === "string"
      ? id + data.split(/\r\n|\r|\n/).map((l) => "data: " + l + "\n").join("") + "\n"
      : id + "event: binary\ndata: " + toBase64(await toBytes(data)) + "\n\n";
    inFlight.push(item);
    controller.enqueue(enc.encode(frame));
  };
  let chain = (carried ?? Promise.resolve([])).catch(() => []).then(async (list) => {
    for (const item of list) {
      if (fallback) fallback.resend(item);
      else await write(item);
    }
  });
  const body = new ReadableStream({ start: (c) => { controller = c; } });
  const done = fetch(url, {
    method: "POST",
    headers: { [TOKEN_HEADER]: token, "content-type": "text/event-stream" },
    body,
    duplex: "half",
    signal: abort.signal,
  }).then(async (res) => {
    if (res.ok) {
      inFlight = [];
      return;
    }
    if (!stopped) {
      const text = await res.text().catch(() => "");
      throw new Error(`anyws: the server refused the streaming uplink with ${res.status}: ${text.trim()}`);
    }
  }).catch((err) => {
    if (stopped || conn.ended) return;
    const lost = inFlight;
    inFlight = [];
    fallback = postUplink({ url, token, conn, seqs, carried: seqs ? Promise.resolve(lost) : null });
    up.mode = "post";
    conn.uplink = "post";
    if (seqs) return;
    if (lost.length === 0) conn.onerror?.(err);
    for (const { data } of lost) conn.onerror?.(err, data);
  });
  const up = {
    mode: "stream",
    buffered: () => fallback?.buffered() ?? 0,
    send(data) {
      const item = { data, seq: seqs ? seqs.next++ : 0 };
      if (fallback) {
        fallback.resend(item);
        return;
      }
      chain = chain.then(async () => {
        if (fallback) {
          fallback.resend(item);
          return;
        }
        await write(item);
      }).catch((err) => conn.onerror?.(err, data));
    },
    async flush() {
      await chain;
      if (fallback) return fallback.flush();
      stopped = true;
      try {
        controller.close();
      } catch {
        // already closed
      }
      await done;
    },
    stop() {
      stopped = true;
      abort.abort();
    },
    async leftover() {
      await chain;
      await done;
      const list = inFlight.splice(0);
      if (fallback) list.push(...await fallback.leftover());
      return list;
    },
    // unsent: after a clean end, what was never sent (what was written
    // into the stream went with it, as far as anyone can tell).
    async unsent() {
      await chain;
      await done;
      inFlight = [];
      return fallback ? fallback.unsent() : [];
    },
  };
  return up;
}

// goodbye tells an anyws server that keeps peers for a resume that the
// client is leaving, so that its peer closes now with code (1000 when
// none) and reason, instead of waiting out the resume window: a POST with
// the X-Anyws-Leave header. keepalive lets it outlive the page (a close()
// in a pagehide handler). Its failure is not close()'s: the peer then
// closes when the window ends.
function goodbye(url, token, code, reason) {
  return fetch(url, {
    method: "POST",
    keepalive: true,
    headers: {
      [TOKEN_HEADER]: token,
      [LEAVE_HEADER]: String(code ?? 1000),
      "content-type": "text/plain;charset=UTF-8",
    },
    body: reason ?? "",
  }).then((res) => res.body?.cancel(), () => {});
}

// within resolves when promise does, or after ms.
function within(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })])
    .finally(() => clearTimeout(timer));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// canStream reports whether a streaming request body will work: the
// browser supports it (Chromium does, over HTTP/2 and HTTP/3 only) and the
// server is known to be reached over HTTP/2 or HTTP/3, learned from the
// Resource Timing entries of earlier requests to its origin (this script
// itself, usually) or from the page's own navigation.
export function canStream(url) {
  if (!supportsRequestStreams()) return false;
  const proto = nextHopProtocol(new URL(url).origin);
  return proto === "h2" || proto === "h3";
}

function supportsRequestStreams() {
  try {
    let duplexAccessed = false;
    const hasContentType = new Request("data:,", {
      body: new ReadableStream(),
      method: "POST",
      get duplex() {
        duplexAccessed = true;
        return "half";
      },
    }).headers.has("Content-Type");
    return duplexAccessed && !hasContentType;
  } catch {
    return false;
  }
}

function nextHopProtocol(origin) {
  const perf = globalThis.performance;
  if (!perf?.getEntriesByType) return "";
  const entries = perf.getEntriesByType("resource");
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.nextHopProtocol && e.name.startsWith(origin + "/")) return e.nextHopProtocol;
  }
  if (globalThis.location?.origin === origin) {
    return perf.getEntriesByType("navigation")[0]?.nextHopProtocol ?? "";
  }
  return "";
}

// parseHello returns the server's hello of a marked WebSocket connection
// ({ id, resumed, reason, received, recovered, marks }), or null when
// data is not one.
function parseHello(data) {
  if (typeof data !== "string") return null;
  let h;
  try {
    h = JSON.parse(data);
  } catch {
    return null;
  }
  if (h === null || typeof h !== "object" || typeof h.resumed !== "boolean" || !Number.isSafeInteger(h.received) || h.received < 0) return null;
  if (h.id !== undefined && (typeof h.id !== "string" || !/^.+:\d+$/.test(h.id))) return null;
  return {
    id: h.id ?? "",
    resumed: h.resumed,
    reason: typeof h.reason === "string" ? h.reason : "",
    received: h.received,
    recovered: h.resumed && h.recovered === true,
    mended: h.resumed && h.mended === true,
    gaps: h.resumed && Array.isArray(h.gaps) ? h.gaps.filter((g) => typeof g === "string") : [],
    marks: h.marks === true,
  };
}

// splitMarked splits a message of a WebSocket with marks into its mark
// and the message: the mark is its first line (text up to the first
// "\n", binary up to the first 0x0A byte). A message without that line
// (a broken server) is delivered whole.
function splitMarked(data) {
  if (typeof data === "string") {
    const i = data.indexOf("\n");
    return i < 0 ? ["", data] : [data.slice(0, i), data.slice(i + 1)];
  }
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  const i = bytes.indexOf(0x0a);
  if (i < 0) return ["", data];
  let mark = "";
  for (let j = 0; j < i; j++) mark += String.fromCharCode(bytes[j]);
  return [mark, bytes.slice(i + 1).buffer];
}

// cutMark splits an SSE id into the claim before its mark and the mark
// ("" when it has none).
function cutMark(id) {
  const i = id.indexOf(MARK_SEP);
  return i < 0 ? [id, ""] : [id.slice(0, i), id.slice(i + 1)];
}

// addMark records mark in marks (tag => offset) unless it is malformed or
// older than the one kept for its tag. Offsets are compared as decimal
// strings: they may exceed what a Number holds exactly.
function addMark(marks, mark) {
  if (mark.length <= TAG_LEN) return;
  const tag = mark.slice(0, TAG_LEN);
  const offset = mark.slice(TAG_LEN).replace(/^0+(?=\d)/, "");
  if (!/^\d+$/.test(offset)) return;
  const had = marks.get(tag) ?? "0"; // as the Go clients' MarkSet: 0 is nothing yet
  if (offset.length > had.length || (offset.length === had.length && offset > had)) {
    marks.set(tag, offset);
  }
}

// markList returns the marks kept, one per tag, as a claim sends them.
function markList(marks) {
  return [...marks].map(([tag, offset]) => tag + offset);
}

function decodeData(data) {
  if (!data.startsWith(BINARY_PREFIX)) return data;
  return fromBase64(data.slice(BINARY_PREFIX.length)) ?? data;
}

// fromBase64 decodes standard base64 into an ArrayBuffer, or returns null
// when b64 is not base64.
function fromBase64(b64) {
  let bin;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

// sameOrigin reports whether url is on the page's origin (always true
// outside a page, as in Node, where there is no CORS).
function sameOrigin(url) {
  const here = globalThis.location?.origin;
  if (!here || here === "null") return true;
  return new URL(url, here).origin === here;
}

async function toBytes(data) {
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new TextEncoder().encode(String(data));
}

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function sizeOf(data) {
  if (typeof data === "string") return data.length;
  if (data instanceof Blob) return data.size;
  return data.byteLength ?? 0;
}


function closeEvent(code, reason, wasClean, willReconnect, status) {
  const ev = typeof CloseEvent === "function"
    ? new CloseEvent("close", { code, reason, wasClean })
    : Object.assign(new Event("close"), { code, reason, wasClean });
  ev.willReconnect = willReconnect;
  ev.status = status;
  return ev;
}

function errorEvent(err, unsent, status) {
  const message = err?.message ?? String(err);
  const ev = typeof ErrorEvent === "function"
    ? new ErrorEvent("error", { error: err, message })
    : Object.assign(new Event("error"), { error: err, message });
  ev.status = status;
  if (unsent !== undefined) ev.unsent = unsent;
  return ev;
}
