// cmd/anyws-bench's Node ws control ("nodews"): a broadcaster and chat
// server on the ws package's WebSocketServer with its defaults, written
// as a Node developer would write it well: the room is wss.clients, a
// publish sends one Buffer (encoded once) to every open client as a text
// message, a chat message goes back to its sender and to every other
// client. ws has no outbound queue bound and no write deadline (a client
// that stops reading grows its socket's bufferedAmount), so the bench
// does not run its stall scenario against it.
//
// It speaks the bench's child protocol (cmd/anyws-bench/server.go):
// prints "127.0.0.1:PORT" on stdout once listening, serves /ws, POST
// /publish?n=&size=&rate= (payloads "seq unixnano " padded with 'x' to
// size bytes, answered 204 once the last is sent) and GET /stats[?gc=1]
// (rss, peakRSS, peers, cpu in ns, writeCalls; gc=1 runs a full
// collection first, which needs node --expose-gc), and exits when stdin
// closes.
//
// usage: node --expose-gc bench-ws-server.mjs
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { WebSocketServer, WebSocket } from "ws";

const wss = new WebSocketServer({ noServer: true });

wss.on("connection", (ws) => {
  ws.on("error", () => {}); // the close that follows ends it
  ws.on("message", (data, isBinary) => {
    // Echo to the sender, publish to the others (crossws's chat room).
    for (const c of wss.clients) {
      if (c.readyState === WebSocket.OPEN) c.send(data, { binary: isBinary });
    }
  });
});

// The wall clock in Unix nanoseconds, to the microsecond: the Go clients
// subtract it from their time.Now().
function unixNano() {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

function payload(seq, size) {
  let s = `${seq} ${unixNano()} `;
  if (s.length < size) s += "x".repeat(size - s.length);
  return Buffer.from(s);
}

function publish(buf) {
  for (const c of wss.clients) {
    if (c.readyState === WebSocket.OPEN) c.send(buf, { binary: false });
  }
}

// handlePublish sends n events at rate per second (0: one per turn of the
// event loop, so that the sockets drain between them, as fast as Node
// can), then answers 204.
function handlePublish(url, res) {
  const n = Number.parseInt(url.searchParams.get("n") ?? "", 10);
  const size = Number.parseInt(url.searchParams.get("size") ?? "0", 10) || 0;
  const rate = Number.parseFloat(url.searchParams.get("rate") ?? "0") || 0;
  if (!(n >= 1 && n <= 10_000_000)) {
    res.writeHead(400, { "content-type": "text/plain" }).end("nodews: n must be between 1 and 10,000,000 events\n");
    return;
  }
  const start = performance.now();
  let i = 0;
  const next = () => {
    publish(payload(i, size));
    i++;
    if (i === n) {
      res.writeHead(204).end();
      return;
    }
    if (rate > 0) {
      setTimeout(next, Math.max(0, start + (i / rate) * 1000 - performance.now()));
    } else {
      setImmediate(next);
    }
  };
  next();
}

// procField reads a field of a /proc/self file ("VmHWM:" of status, in
// kB; "syscw:" of io, a count).
function procField(file, field) {
  try {
    for (const line of readFileSync(`/proc/self/${file}`, "utf8").split("\n")) {
      if (line.startsWith(field)) return Number.parseInt(line.slice(field.length), 10);
    }
  } catch {}
  return 0;
}

function stats(url, res) {
  if (url.searchParams.get("gc") && typeof globalThis.gc === "function") globalThis.gc();
  const cpu = process.cpuUsage();
  const body = {
    rss: process.memoryUsage.rss(),
    peakRSS: procField("status", "VmHWM:") * 1024,
    peers: wss.clients.size,
    goroutines: 0,
    cpu: (cpu.user + cpu.system) * 1000,
    writeCalls: procField("io", "syscw:"),
  };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (req.method === "POST" && url.pathname === "/publish") return handlePublish(url, res);
  if (req.method === "GET" && url.pathname === "/stats") return stats(url, res);
  res.writeHead(404, { "content-type": "text/plain" }).end(`nodews: no ${req.method} ${url.pathname}\n`);
});
server.keepAliveTimeout = 0; // the bench's control client keeps its connections
server.on("upgrade", (req, socket, head) => {
  if (new URL(req.url, "http://localhost").pathname !== "/ws") {
    socket.end("HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n\r\nnodews: WebSocket at /ws only\n");
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`127.0.0.1:${server.address().port}\n`);
});

let exiting = false;
function exit() {
  if (exiting) return;
  exiting = true;
  for (const c of wss.clients) c.terminate();
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.stdin.on("end", exit);
process.stdin.on("close", exit);
process.stdin.resume();
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
