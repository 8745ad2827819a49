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
//   marks:  the server's hello says marks: every message starts with its
//           mark and "\n" (text and binary; an empty mark; an older
//           offset; an offset beyond 2^53); the client must strip it,
//           claim with the last offset per tag, keep them across a
//           resume, forget them for a new peer; a recovered peer
//           (resumed and recovered, received 5) must get nothing sent
//           again (what was kept is reported unsent) and the messages
//           after it numbered 6, 7, … (a later resume with received 5
//           sends the one sent since again).
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

const hello = (id, resumed, received, reason, more) => JSON.stringify({ id, resumed, reason, received, ...more });
const bytes = (text, ...rest) => new Uint8Array([...new TextEncoder().encode(text), ...rest]).buffer;

// serve answers the hello of connection i.
function serve(i, ws) {
  if (scenario === "marks") {
    const marks = { marks: true };
    switch (i) {
      case 0:
        ws.receive(hello("s:0", false, 0, undefined, marks));
        ws.receive("AAAAAAAA5\nd1");
        ws.receive("BBBBBBBB7\nd2");
        ws.receive("\nd3\nline");
        ws.receive(bytes("AAAAAAAA9\n", 1, 10, 255));
        ws.receive("AAAAAAAA6\nd4");
        ws.receive("CCCCCCCC12345678901234567890\nd5");
        break;
      case 1:
        ws.receive(hello("s:6", true, 5, undefined, { ...marks, recovered: true }));
        ws.receive("EEEEEEEE3\nd6");
        break;
      case 2:
        ws.receive(hello("s:7", true, 5, undefined, marks));
        break;
      case 3:
        ws.receive(hello("t:0", false, 0, "unknown", marks));
        ws.receive("DDDDDDDD1\nd7");
        break;
      default:
        ws.receive(hello("t:1", true, 0, undefined, marks));
    }
    return;
  }
  if (scenario === "resend") {
    if (i === 0) {
      ws.receive(hello("s:0", false, 0));
      ws.receive("d1");
      ws.receive("d2");
    } else {
      ws.receive(hello("s:2", true, 3));
      ws.receive("d3\nline"); // no marks: a message with a newline is whole
    }
    return;
  }
  if (i === 0) ws.receive(hello("s:0", false, 0));
  else if (i === 1) ws.receive(hello("s:0", true, 0));
  else ws.receive(hello("t:0", false, 0));
}

const ws = new AnyWS("http://127.0.0.1:1/_ws", { transport: "websocket", minDelay: 1, maxDelay: 1 });
ws.binaryType = "arraybuffer";
const opens = [];
const messages = [];
const unsent = [];
ws.onmessage = (e) => messages.push(typeof e.data === "string" ? e.data : "bin:" + new Uint8Array(e.data).join(","));
ws.onerror = (e) => {
  if (e.unsent === undefined) return;
  if (scenario === "marks") unsent.push({ data: e.unsent, recovered: /recovered/.test(e.message) });
  else unsent.push(e.unsent.length ?? e.unsent.byteLength);
};
const opened = (n) => new Promise((resolve) => {
  const check = () => {
    if (opens.length >= n) resolve();
    else ws.addEventListener("open", check, { once: true });
  };
  check();
});
ws.addEventListener("open", (e) => opens.push({ resumed: e.resumed, recovered: e.recovered, lost: e.lost, reason: e.resumeReason }));
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

await opened(1);
await tick();
if (scenario === "resend") {
  for (let i = 1; i <= 5; i++) ws.send("a" + i);
  conns[0].drop();
  await opened(2);
  ws.send("a6");
  await tick();
} else if (scenario === "marks") {
  ws.send("a1");
  ws.send("a2");
  conns[0].drop();
  await opened(2);
  ws.send("a3");
  await tick();
  for (let i = 1; i <= 3; i++) {
    conns[i].drop();
    await opened(i + 2);
    await tick();
  }
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
