// crossws's own WebSocket adapter for Node (crossws/adapters/node, on the
// ws package) behind node:http: the server the browser tests run anyws.js
// against over WebSocket (a plain server, without anyws's hello).
//
// Hooks, output and lifetime as crossws-sse-server.mjs: open sends
// "welcome <peer id>" and subscribes the peer to "chat"; message answers
// "echo:<text>" to its sender and publishes <text> to the other peers of
// "chat"; one JSON object per line on stdout, the first
// {"url":"http://127.0.0.1:PORT/"}, then {"event":"open"|"close","id":...}
// and {"event":"message","id":...,"text":...}; an open also logs the
// query string of the upgrade request as "query".
//
// usage: node crossws-ws-server.mjs [PORT]   (default 0: any free port)
import { createServer } from "node:http";
import nodeAdapter from "crossws/adapters/node";
import { fail, out } from "./lib.mjs";

const port = Number.parseInt(process.argv[2] ?? "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`usage: node crossws-ws-server.mjs [PORT]: bad port ${JSON.stringify(process.argv[2])}`);
}

const ws = nodeAdapter({
  hooks: {
    open(peer) {
      out({ event: "open", id: peer.id, query: new URL(peer.request.url).search });
      peer.send(`welcome ${peer.id}`);
      peer.subscribe("chat");
    },
    message(peer, message) {
      const text = message.text();
      out({ event: "message", id: peer.id, text });
      peer.send(`echo:${text}`);
      peer.publish("chat", text);
    },
    close(peer) {
      out({ event: "close", id: peer.id });
    },
    error(peer, error) {
      process.stderr.write(`crossws-ws-server: peer ${peer.id}: ${error}\n`);
    },
  },
});

const server = createServer((req, res) => {
  res.writeHead(426, { "content-type": "text/plain" }).end("crossws-ws-server: WebSocket only\n");
});
server.on("upgrade", (req, socket, head) => ws.handleUpgrade(req, socket, head));
server.on("error", (err) => fail(`listen on 127.0.0.1:${port}: ${err.message}`));
server.listen(port, "127.0.0.1", () => {
  out({ url: `http://127.0.0.1:${server.address().port}/` });
});

let exiting = false;
function exit() {
  if (exiting) return;
  exiting = true;
  ws.closeAll(1001, "server exiting", true);
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
process.stdin.on("end", exit);
process.stdin.on("close", exit);
process.stdin.resume();
