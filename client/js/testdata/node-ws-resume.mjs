// node-ws-resume.mjs <scenario>: the client's WebSocket recovery against a
// scripted server, in Node with a fake WebSocket (every step of both
// sides is deterministic). Prints one JSON line with what happened.
//
//   resend: the first connection gets the hello, two messages, and the
//           client sends a1..a5; it drops; the client's claim must count
//           the two messages, and after the server's hello (resumed,
//           received 3) it must send a4 and a5 again, then a6.
//   gap:    the client sends 1.25 MiB in 40 messages, more than it keeps;
//           it drops; the server resumes the peer but received none of
//           them: the client must give that peer up (close 1000), come
//           back as a new peer (open: lost, resumeReason "gap") and
//           report what it kept as unsent.
import { AnyWS } from "../anyws.js";

const scenario = process.argv[2];
const conns = [];
const hellos = [];

class FakeWebSocket {
  constructor(url) {
    this.url = String(url);
    this.protocol = "";
    this.bufferedAmount = 0;
    this.binaryType = "blob";
    this.sent = [];
    this.closed = null;
    conns.push(this);
    setTimeout(() => this.onopen?.(), 0);
  }
  send(data) {
    if (this.sent.length === 0) {
      hellos.push(data);
      setTimeout(() => serve(conns.indexOf(this), this), 0);
    }
    this.sent.push(data);
  }
  close(code, reason) {
    this.closed = { code: code ?? null, reason: reason ?? null };
    setTimeout(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? "", wasClean: true }), 0);
  }
  receive(data) {
    this.onmessage?.({ data });
  }
  drop() {
    this.onclose?.({ code: 1006, reason: "", wasClean: false });
  }
}
globalThis.WebSocket = FakeWebSocket;

const hello = (id, resumed, received, reason) => JSON.stringify({ id, resumed, reason, received });

// serve answers the hello of connection i.
function serve(i, ws) {
  if (scenario === "resend") {
    if (i === 0) {
      ws.receive(hello("s:0", false, 0));
      ws.receive("d1");
      ws.receive("d2");
    } else {
      ws.receive(hello("s:2", true, 3));
      ws.receive("d3");
    }
    return;
  }
  if (i === 0) ws.receive(hello("s:0", false, 0));
  else if (i === 1) ws.receive(hello("s:0", true, 0));
  else ws.receive(hello("t:0", false, 0));
}

const ws = new AnyWS("http://127.0.0.1:1/_ws", { transport: "websocket", minDelay: 1, maxDelay: 1 });
const opens = [];
const messages = [];
const unsent = [];
ws.onmessage = (e) => messages.push(e.data);
ws.onerror = (e) => {
  if (e.unsent !== undefined) unsent.push(e.unsent.length ?? e.unsent.byteLength);
};
const opened = (n) => new Promise((resolve) => {
  const check = () => {
    if (opens.length >= n) resolve();
    else ws.addEventListener("open", check, { once: true });
  };
  check();
});
ws.addEventListener("open", (e) => opens.push({ resumed: e.resumed, lost: e.lost, reason: e.resumeReason }));
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

await opened(1);
await tick();
if (scenario === "resend") {
  for (let i = 1; i <= 5; i++) ws.send("a" + i);
  conns[0].drop();
  await opened(2);
  ws.send("a6");
  await tick();
} else {
  for (let i = 0; i < 40; i++) ws.send("x".repeat(32 * 1024));
  conns[0].drop();
  await opened(2);
  await tick();
}
const res = {
  urls: conns.map((c) => new URL(c.url).search),
  hellos,
  sent: conns.map((c) => c.sent.slice(1).map((d) => (d.length > 16 ? d.length : d))),
  closed: conns.map((c) => c.closed),
  opens,
  messages,
  unsent,
};
ws.onclose = () => {
  console.log(JSON.stringify(res));
  process.exit(0);
};
ws.close(1000, "done");
