// Scenarios the Go tests run in the browser (internal/test/browsertest). Each
// window.* function returns a promise of a JSON value; waits are bounded
// by the Go side's tab timeout.
import { AnyWS } from "/anyws.js";

window.AnyWS = AnyWS;

// describe turns a message into a comparable string.
const describe = (data) =>
  typeof data === "string" ? data : "bin:" + Array.from(new Uint8Array(data)).join(",");

// echo connects, sends texts and one binary message to a server that
// echoes each one, and returns what came back, in order, then closes.
window.echo = async (url, options, count) => {
  const ws = new AnyWS(url, { minDelay: 100, maxDelay: 500, ...options });
  ws.binaryType = "arraybuffer";
  const sent = ["hello", "two\nlines", "ünïcödé ✓"];
  for (let i = 0; i < count; i++) sent.push("m" + i);
  const got = [];
  const errors = [];
  ws.addEventListener("error", (e) => errors.push(e.message));
  const all = new Promise((resolve) => {
    ws.onmessage = (e) => {
      got.push(describe(e.data));
      if (got.length === sent.length + 2) resolve();
    };
  });
  await new Promise((resolve) => { ws.onopen = resolve; });
  const opened = { transport: ws.transport, uplink: ws.uplink, readyState: ws.readyState };
  for (const m of sent) ws.send(m);
  ws.send(new Uint8Array([0, 1, 2, 254, 255]));
  await all;
  const closed = new Promise((resolve) => { ws.onclose = resolve; });
  ws.close(1000, "bye");
  const ce = await closed;
  return {
    ...opened, got, errors,
    want: ["welcome " + opened.transport, ...sent, "bin:0,1,2,254,255"],
    close: { type: ce.constructor.name, code: ce.code, wasClean: ce.wasClean, willReconnect: ce.willReconnect },
    finalState: ws.readyState,
  };
};

// clients holds long-lived clients by name, with what happened to them.
const clients = {};

// start opens a named client and resolves once it is open.
window.start = (name, url, options) => {
  const ws = new AnyWS(url, { minDelay: 100, maxDelay: 500, ...options });
  const log = { messages: [], events: [], errors: [] };
  clients[name] = { ws, log };
  ws.addEventListener("message", (e) => log.messages.push(describe(e.data)));
  ws.addEventListener("open", () => log.events.push("open:" + ws.transport));
  ws.addEventListener("close", (e) => log.events.push("close:" + e.code));
  ws.addEventListener("reconnecting", () => log.events.push("reconnecting"));
  ws.addEventListener("error", (e) => {
    log.errors.push({ message: e.message, unsent: e.unsent === undefined ? null : describe(e.unsent) });
  });
  return new Promise((resolve) => ws.addEventListener("open", () => resolve({ transport: ws.transport, uplink: ws.uplink }), { once: true }));
};

// waitFor resolves with the client's log once pred(log) holds.
const waitFor = (name, pred) => new Promise((resolve) => {
  const { ws, log } = clients[name];
  const check = () => {
    if (!pred(log)) return false;
    for (const t of ["message", "error", "open", "close"]) ws.removeEventListener(t, check);
    resolve(log);
    return true;
  };
  if (check()) return;
  for (const t of ["message", "error", "open", "close"]) ws.addEventListener(t, check);
});

window.waitMessage = (name, text) => waitFor(name, (log) => log.messages.includes(text));
window.waitErrors = (name, n) => waitFor(name, (log) => log.errors.length >= n);
window.send = (name, data) => clients[name].ws.send(data);
window.state = (name) => ({ transport: clients[name].ws.transport, uplink: clients[name].ws.uplink, readyState: clients[name].ws.readyState, ...clients[name].log });
window.stop = (name) => {
  const { ws } = clients[name];
  const closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code), { once: true }));
  ws.close(1000, "done");
  return closed;
};

// nativeWebSocket echoes a text and a binary message with the browser's
// own WebSocket.
window.nativeWebSocket = async (url) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const got = [];
  const done = new Promise((resolve, reject) => {
    ws.onmessage = (e) => {
      got.push(describe(e.data));
      if (got.length === 3) resolve();
    };
    ws.onerror = () => reject(new Error("WebSocket error"));
  });
  await new Promise((resolve) => { ws.onopen = resolve; });
  ws.send("ping");
  ws.send(new Uint8Array([7, 8, 9]));
  await done;
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve(e.code); });
  ws.close(1000, "bye");
  return { got, close: await closed };
};

// nativeEventSource collects n messages from the browser's own
// EventSource, then closes it.
window.nativeEventSource = (url, n) => new Promise((resolve, reject) => {
  const es = new EventSource(url);
  const got = [];
  es.onmessage = (e) => {
    got.push(e.data);
    if (got.length === n) {
      es.close();
      resolve(got);
    }
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) reject(new Error("EventSource failed"));
  };
});

// untilSettled creates a client with args (AnyWS's constructor arguments)
// and resolves with what happened up to its first close or reconnecting
// event, whichever comes first: a client that gives up ends with close,
// one that retries with reconnecting.
window.untilSettled = (args) => new Promise((resolve) => {
  const ws = new AnyWS(...args);
  const events = [];
  const errors = [];
  ws.addEventListener("open", () => events.push("open:" + ws.transport));
  ws.addEventListener("error", (e) => errors.push({ message: e.message, status: e.status }));
  ws.addEventListener("reconnecting", () => {
    events.push("reconnecting");
    ws.close();
    resolve({ events, errors, readyState: ws.readyState });
  }, { once: true });
  ws.addEventListener("close", (e) => {
    events.push("close:" + e.code);
    resolve({
      events, errors, readyState: ws.readyState,
      close: { code: e.code, reason: e.reason, status: e.status, willReconnect: e.willReconnect },
    });
  }, { once: true });
});

// attempts creates a client with args and resolves with the events it
// fires until it closes for good.
window.attempts = (args) => new Promise((resolve) => {
  const ws = new AnyWS(...args);
  const events = [];
  ws.addEventListener("error", (e) => events.push("error:" + e.status));
  ws.addEventListener("reconnecting", (e) => events.push("reconnecting:" + e.attempt));
  ws.addEventListener("close", (e) => {
    events.push("close:" + e.code);
    if (!e.willReconnect) resolve({ events, readyState: ws.readyState });
  });
});

// firstMessage creates a client with args, waits for its open and first
// message, closes it, and returns what the connection looked like.
window.firstMessage = async (args) => {
  const ws = new AnyWS(...args);
  const first = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true }));
  await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
  const res = { transport: ws.transport, protocol: ws.protocol, fallback: ws.fallback, first: await first };
  const closed = new Promise((resolve) => ws.addEventListener("close", resolve, { once: true }));
  ws.close(1000, "done");
  await closed;
  return res;
};

// namedEvents opens an SSE client and collects the named events types
// until a message "end" arrives.
window.namedEvents = (url, types) => new Promise((resolve) => {
  const ws = new AnyWS(url, { transport: "sse", reconnect: false });
  const got = [];
  for (const t of types) ws.addEventListener(t, (e) => got.push({ type: e.type, data: e.data, id: e.lastEventId }));
  ws.onmessage = (e) => {
    if (e.data !== "end") {
      got.push({ type: e.type, data: e.data, id: e.lastEventId });
      return;
    }
    ws.onclose = () => resolve(got);
    ws.close();
  };
});

// startResumable opens a named client like start does, and also logs the
// recovery state of each open event.
window.startResumable = async (name, url, options) => {
  const opened = window.start(name, url, options);
  const { ws, log } = clients[name];
  log.opens = [];
  ws.addEventListener("open", (e) => log.opens.push({ resumed: e.resumed, recovered: e.recovered, lost: e.lost, reason: e.resumeReason }));
  return opened;
};

// binaryType sets a named client's binaryType.
window.binaryType = (name, type) => { clients[name].ws.binaryType = type; };

// waitOpens resolves with the client's log once it opened n times.
window.waitOpens = (name, n) => waitFor(name, (log) => log.opens.length >= n);

// throughCuts opens a named client like start does, sends count numbered
// messages ("u1", "u2", ...) one every 5 ms from its first open on, and
// resolves with its log once every send was made and n messages arrived.
window.throughCuts = (name, url, options, n, count) => new Promise((resolve) => {
  const ws = new AnyWS(url, { minDelay: 20, maxDelay: 200, ...options });
  const log = { messages: [], events: [], errors: [], opens: [], transports: [] };
  clients[name] = { ws, log };
  let sent = 0;
  const done = () => {
    log.sent = sent;
    if (sent === count && log.messages.length >= n) resolve(log);
  };
  ws.addEventListener("message", (e) => {
    log.messages.push(describe(e.data));
    done();
  });
  ws.addEventListener("error", (e) => {
    log.errors.push({ message: e.message, unsent: e.unsent === undefined ? null : describe(e.unsent) });
  });
  ws.addEventListener("open", (e) => {
    log.opens.push({ resumed: e.resumed, lost: e.lost, reason: e.resumeReason });
    log.transports.push(ws.transport);
  });
  ws.addEventListener("open", () => {
    const tick = () => {
      ws.send("u" + ++sent);
      if (sent < count) setTimeout(tick, 5);
      else done();
    };
    tick();
  }, { once: true });
});

// progress sums up a named client's log: what a test that gave up
// waiting reports.
window.progress = (name) => {
  const { ws, log } = clients[name];
  return {
    sent: log.sent, received: log.messages.length, last: log.messages.slice(-3),
    opens: log.opens, errors: log.errors, readyState: ws.readyState, transport: ws.transport,
  };
};

// stopWith closes a named client with code and reason and resolves with
// the close event's code.
window.stopWith = (name, code, reason) => {
  const { ws } = clients[name];
  const closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code), { once: true }));
  ws.close(code, reason);
  return closed;
};

// waitUnsent resolves with the client's log once it reported a message
// unsent.
window.waitUnsent = (name) => waitFor(name, (log) => log.errors.some((e) => e.unsent !== null));
