// anyws.js: the browser client of anyws (github.com/anyws/anyws).
//
// AnyWS is a WebSocket-like object that connects over WebSocket and falls
// back by itself to bidirectional Server-Sent Events (an EventSource
// downlink plus HTTP POSTs uplink) when the upgrade fails or is blocked.
// It reconnects with backoff and jitter and reports every message it could
// not deliver as an "error" event. No dependencies, no build step:
//
//   import { AnyWS } from "/anyws.js";
//   const ws = new AnyWS("/_ws");              // or { transport: "sse" }
//   ws.onopen = () => ws.send("hello");
//   ws.onmessage = (e) => console.log(e.data, "via", ws.transport);
//
// The server side is adapters/auto (which also serves this file). The SSE
// mode speaks crossws's wire format, so it also works against crossws's SSE
// adapter with uplink "post" (crossws reads a streaming POST as raw chunks).
//
// Options (all optional):
//   transport       "auto" (default): WebSocket, then SSE if it fails;
//                   "websocket" or "sse" force one.
//   uplink          how SSE sends: "auto" (default) streams one long framed
//                   POST when the browser can stream request bodies and the
//                   server is reached over HTTP/2 or HTTP/3, else one POST
//                   per message; "stream" or "post" force one.
//   protocols       WebSocket sub-protocols (ignored over SSE).
//   reconnect       true (default), false, or a function (code, reason) =>
//                   boolean deciding whether to reconnect after a close.
//   minDelay        first reconnection delay in ms (default 500); it doubles
//                   per failed attempt up to maxDelay (default 10000), with
//                   jitter (each delay is 50-100% of the nominal one).
//   timeout         ms to wait for a connection to open (default 8000).
//   maxQueue        messages send() may hold while (re)connecting (default
//                   1000); beyond that send() throws.
//   withCredentials EventSource's option, for cross-origin cookies.
//
// Lifetime: unlike a WebSocket, one AnyWS lives across connections. Each
// "open" is followed by one "close" (a CloseEvent with code, reason and
// wasClean, plus willReconnect); if the client reconnects, a
// "reconnecting" event (attempt, delay) follows and later a new "open".
// Every reconnection is a new peer on the server. It stops for good after
// close(), after a close the reconnect rule refuses (1000 normal closure,
// 1008 policy, application codes 4000-4999, ...), or with reconnect: false.
//
// Sending: send() accepts a string, Blob, ArrayBuffer or typed array. While
// connecting, messages are queued and sent in order once open. Over SSE a
// POST that fails (the peer is gone, 413, a network error) fires "error"
// with the message in event.unsent; messages written into a streaming
// uplink that breaks are reported the same way. Nothing is retried, so
// nothing is delivered twice.

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

// The SSE downlink carries binary messages as this data URL (crossws's
// convention).
const BINARY_PREFIX = "data:application/octet-stream;base64,";
const TOKEN_HEADER = "x-crossws-id";

// Close codes after which the client does not reconnect by default: the
// server or the client meant it, or reconnecting would fail the same way.
const FINAL_CODES = new Set([1000, 1002, 1003, 1007, 1008, 1009, 1010]);

const defaults = Object.freeze({
  transport: "auto",
  uplink: "auto",
  protocols: undefined,
  reconnect: true,
  minDelay: 500,
  maxDelay: 10000,
  timeout: 8000,
  maxQueue: 1000,
  withCredentials: false,
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

  constructor(url, options = {}) {
    super();
    this.#opts = { ...defaults, ...options };
    if (!["auto", "websocket", "sse"].includes(this.#opts.transport)) {
      throw new TypeError(`anyws: transport must be "auto", "websocket" or "sse", not ${JSON.stringify(this.#opts.transport)}`);
    }
    if (!["auto", "stream", "post"].includes(this.#opts.uplink)) {
      throw new TypeError(`anyws: uplink must be "auto", "stream" or "post", not ${JSON.stringify(this.#opts.uplink)}`);
    }
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

  /** Closes for good: flushes what was sent, then fires "close". */
  close(code, reason = "") {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#state === CONNECTING) {
      this.#pending?.abort();
      this.#state = CLOSED;
      this.#reportUnsent(this.#queue.splice(0), new Error("anyws: closed before the connection opened"));
      this.#fire(closeEvent(code ?? 1005, reason, false, false));
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
    const order = this.#opts.transport === "auto"
      ? (this.#wsBroken ? ["sse"] : ["websocket", "sse"])
      : [this.#opts.transport];
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
        if (kind === "sse" && order.length > 1) this.#wsBroken = true;
        this.#adopt(conn);
        return;
      } catch (err) {
        lastErr = err;
      } finally {
        this.#pending = null;
      }
    }
    if (this.#stopped) return;
    this.#fire(errorEvent(lastErr));
    this.#retry(1006, "connection failed", false);
  }

  // adopt makes conn the current connection: open, then what arrived
  // before the open, then what was sent while connecting.
  #adopt(conn) {
    this.#conn = conn;
    this.#attempt = 0;
    this.#state = OPEN;
    this.protocol = conn.protocol;
    conn.onmessage = (data) => this.#receive(data);
    conn.onerror = (err, unsent) => this.#fire(errorEvent(err, unsent));
    conn.onend = (code, reason, wasClean) => this.#ended(conn, code, reason, wasClean);
    this.#fire(new Event("open"));
    for (const data of conn.early.splice(0)) this.#receive(data);
    for (const data of this.#queue.splice(0)) {
      if (this.#state !== OPEN) {
        this.#queue.unshift(data);
        break;
      }
      conn.send(data);
    }
    conn.early = null;
  }

  #receive(data) {
    if (typeof data !== "string" && this.#binaryType === "blob") data = new Blob([data]);
    this.#fire(new MessageEvent("message", { data, origin: new URL(this.url).origin }));
  }

  #ended(conn, code, reason, wasClean) {
    if (this.#conn !== conn) return;
    this.#conn = null;
    this.protocol = "";
    const again = !this.#stopped && this.#wantsReconnect(code, reason);
    this.#state = again ? CONNECTING : CLOSED;
    if (!again) this.#stopped = true;
    this.#fire(closeEvent(code, reason, wasClean, again));
    if (again) this.#retry(code, reason, true);
  }

  #wantsReconnect(code, reason) {
    const r = this.#opts.reconnect;
    if (typeof r === "function") return !!r(code, reason);
    return !!r && !FINAL_CODES.has(code) && !(code >= 4000 && code < 5000);
  }

  // retry schedules the next attempt with exponential backoff and jitter,
  // or gives up when reconnecting is off.
  #retry(code, reason, closeFired) {
    if (this.#stopped) return;
    if (!closeFired && !this.#wantsReconnect(code, reason)) {
      this.#stopped = true;
      this.#state = CLOSED;
      this.#reportUnsent(this.#queue.splice(0), new Error("anyws: could not connect"));
      this.#fire(closeEvent(code, reason, false, false));
      return;
    }
    const { minDelay, maxDelay } = this.#opts;
    const nominal = Math.min(maxDelay, minDelay * 2 ** this.#attempt);
    const delay = Math.round(nominal / 2 + Math.random() * nominal / 2);
    this.#attempt++;
    const ev = new Event("reconnecting");
    ev.attempt = this.#attempt;
    ev.delay = delay;
    this.#fire(ev);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #reportUnsent(list, err) {
    for (const data of list) this.#fire(errorEvent(err, data));
  }

  #fire(ev) {
    const handler = this["on" + ev.type];
    if (typeof handler === "function") {
      try {
        handler.call(this, ev);
      } catch (err) {
        setTimeout(() => { throw err; });
      }
    }
    this.dispatchEvent(ev);
  }

  // openWebSocket resolves with an open WebSocket connection, or rejects
  // when the upgrade fails, is refused or times out.
  #openWebSocket(signal) {
    return new Promise((resolve, reject) => {
      const u = new URL(this.url);
      u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(u, this.#opts.protocols);
      ws.binaryType = "arraybuffer";
      const conn = newConn("websocket", "");
      let opened = false;
      const fail = (msg) => {
        clearTimeout(timer);
        ws.onopen = ws.onclose = ws.onmessage = null;
        ws.close();
        reject(new Error(msg));
      };
      const timer = setTimeout(() => fail(`anyws: WebSocket did not open within ${this.#opts.timeout} ms`), this.#opts.timeout);
      signal.addEventListener("abort", () => fail("anyws: aborted"));
      ws.onopen = () => {
        clearTimeout(timer);
        opened = true;
        conn.protocol = ws.protocol;
        resolve(conn);
      };
      ws.onmessage = (e) => conn.emit(e.data);
      ws.onclose = (e) => {
        if (!opened) {
          clearTimeout(timer);
          reject(new Error(`anyws: WebSocket upgrade failed (close code ${e.code})`));
          return;
        }
        if (ws.bufferedAmount > 0) {
          conn.onerror?.(new Error(`anyws: ${ws.bufferedAmount} bytes sent were not delivered before the connection closed`));
        }
        conn.end(e.code, e.reason, e.wasClean);
      };
      conn.send = (data) => ws.send(data);
      conn.buffered = () => ws.bufferedAmount;
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
  // crossws-id event), or rejects when it fails or times out.
  #openSSE(signal) {
    return new Promise((resolve, reject) => {
      const es = new EventSource(this.url, { withCredentials: this.#opts.withCredentials });
      const conn = newConn("sse", "");
      let token = "";
      let uplink = null;
      const fail = (msg) => {
        clearTimeout(timer);
        es.close();
        reject(new Error(msg));
      };
      const timer = setTimeout(() => fail(`anyws: event stream did not open within ${this.#opts.timeout} ms`), this.#opts.timeout);
      signal.addEventListener("abort", () => fail("anyws: aborted"));
      const end = (code, reason, wasClean) => {
        es.close();
        uplink?.stop();
        conn.end(code, reason, wasClean);
      };
      es.addEventListener("message", (e) => conn.emit(decodeData(e.data)));
      es.addEventListener("crossws-id", (e) => {
        if (token) return;
        clearTimeout(timer);
        token = e.data;
        const mode = this.#opts.uplink === "auto" ? (canStream(this.url) ? "stream" : "post") : this.#opts.uplink;
        uplink = mode === "stream" ? streamUplink(this.url, token, conn) : postUplink(this.url, token, conn);
        conn.uplink = uplink.mode;
        resolve(conn);
      });
      es.addEventListener("close", (e) => {
        let code = 1005;
        let reason = "";
        try {
          ({ code = 1005, reason = "" } = JSON.parse(e.data));
        } catch {
          // crossws sends no data: a plain close.
        }
        end(code, reason, true);
      });
      es.onerror = () => {
        if (!token) {
          fail("anyws: the event stream failed to open");
          return;
        }
        // EventSource would reconnect by itself, as a new peer with a new
        // token: the client decides instead.
        end(1006, "event stream lost", false);
      };
      conn.send = (data) => uplink.send(data);
      conn.buffered = () => uplink?.buffered() ?? 0;
      conn.close = async (code, reason) => {
        await uplink?.flush();
        end(code ?? 1005, reason ?? "", true);
      };
    });
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
    emit(data) {
      if (conn.ended) return;
      if (conn.onmessage) conn.onmessage(data);
      else conn.early?.push(data);
    },
    end(code, reason, wasClean) {
      if (conn.ended) return;
      conn.ended = true;
      conn.onend?.(code, reason, wasClean);
    },
  };
  return conn;
}

// postUplink sends one POST per message, one at a time, so that messages
// arrive in the order they were sent. A failed POST fires "error" with the
// message in event.unsent; the next messages are still tried.
function postUplink(url, token, conn) {
  let chain = Promise.resolve();
  let pending = 0;
  const abort = new AbortController();
  return {
    mode: "post",
    buffered: () => pending,
    send(data) {
      const n = sizeOf(data);
      pending += n;
      chain = chain.then(async () => {
        if (conn.ended) throw new Error("anyws: the connection closed before this message was sent");
        const binary = typeof data !== "string";
        const res = await fetch(url, {
          method: "POST",
          headers: {
            [TOKEN_HEADER]: token,
            "content-type": binary ? "application/octet-stream" : "text/plain;charset=UTF-8",
          },
          body: binary ? await toBytes(data) : data,
          signal: abort.signal,
        });
        if (!res.ok) {
          const text = await res.text().catch(() => "");
          throw new Error(`anyws: the server refused a message with ${res.status}: ${text.trim()}`);
        }
      }).catch((err) => {
        conn.onerror?.(err, data);
      }).finally(() => {
        pending -= n;
      });
    },
    flush: () => chain,
    stop() {
      // POSTs already sent complete (and report their own errors).
    },
  };
}

// streamUplink writes every message into one long POST whose body is a
// stream of SSE events (anyws's framed uplink). If the POST fails, the
// messages written into it since it started are reported as "error"
// events (the server's answer only comes at its end, so there is no way to
// tell which ones arrived) and later messages go one POST each.
function streamUplink(url, token, conn) {
  const enc = new TextEncoder();
  const abort = new AbortController();
  let controller;
  let chain = Promise.resolve();
  let inFlight = []; // messages written into the body
  let fallback = null;
  let stopped = false;
  const body = new ReadableStream({ start: (c) => { controller = c; } });
  const done = fetch(url, {
    method: "POST",
    headers: { [TOKEN_HEADER]: token, "content-type": "text/event-stream" },
    body,
    duplex: "half",
    signal: abort.signal,
  }).then(async (res) => {
    if (!res.ok && !stopped) {
      const text = await res.text().catch(() => "");
      throw new Error(`anyws: the server refused the streaming uplink with ${res.status}: ${text.trim()}`);
    }
  }).catch((err) => {
    if (stopped || conn.ended) return;
    const lost = inFlight;
    inFlight = [];
    fallback = postUplink(url, token, conn);
    up.mode = "post";
    conn.uplink = "post";
    if (lost.length === 0) conn.onerror?.(err);
    for (const data of lost) conn.onerror?.(err, data);
  });
  const up = {
    mode: "stream",
    buffered: () => fallback?.buffered() ?? 0,
    send(data) {
      if (fallback) {
        fallback.send(data);
        return;
      }
      chain = chain.then(async () => {
        if (fallback) {
          fallback.send(data);
          return;
        }
        const frame = typeof data === "string"
          ? data.split(/\r\n|\r|\n/).map((l) => "data: " + l + "\n").join("") + "\n"
          : "event: binary\ndata: " + toBase64(await toBytes(data)) + "\n\n";
        inFlight.push(data);
        controller.enqueue(enc.encode(frame));
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
  };
  return up;
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

function decodeData(data) {
  if (!data.startsWith(BINARY_PREFIX)) return data;
  const bin = atob(data.slice(BINARY_PREFIX.length));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
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

function closeEvent(code, reason, wasClean, willReconnect) {
  const ev = typeof CloseEvent === "function"
    ? new CloseEvent("close", { code, reason, wasClean })
    : Object.assign(new Event("close"), { code, reason, wasClean });
  ev.willReconnect = willReconnect;
  return ev;
}

function errorEvent(err, unsent) {
  const message = err?.message ?? String(err);
  const ev = typeof ErrorEvent === "function"
    ? new ErrorEvent("error", { error: err, message })
    : Object.assign(new Event("error"), { error: err, message });
  if (unsent !== undefined) ev.unsent = unsent;
  return ev;
}
