// crossws's own SSE adapter (crossws/adapters/sse, bidirectional mode)
// served on Node by srvx: the server websocketsse/crossws_test.go runs Go
// clients against.
//
// Hooks: open sends "welcome <peer id>" and subscribes the peer to "chat";
// message answers "echo:<text>" to its sender and publishes <text> to the
// other peers of "chat"; close is logged.
//
// Output: one JSON object per line on stdout. The first is
// {"url":"http://127.0.0.1:PORT/"} once the server listens; then
// {"event":"open"|"close","id":...} for every peer, and
// {"event":"message","id":...,"text":...} for every message received.
// The script exits on SIGTERM, SIGINT or when its stdin closes, so a
// parent that dies takes it down.
//
// usage: node crossws-sse-server.mjs [PORT]   (default 0: any free port)
import sse from "crossws/adapters/sse";
import { serve } from "srvx";
import { fail, out } from "./lib.mjs";

const port = Number.parseInt(process.argv[2] ?? "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`usage: node crossws-sse-server.mjs [PORT]: bad port ${JSON.stringify(process.argv[2])}`);
}

const ws = sse({
  bidir: true,
  hooks: {
    open(peer) {
      out({ event: "open", id: peer.id });
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
      process.stderr.write(`crossws-sse-server: peer ${peer.id}: ${error}\n`);
    },
  },
});

const server = serve({
  fetch: (request) => ws.fetch(request),
  hostname: "127.0.0.1",
  port,
  silent: true,
  gracefulShutdown: false,
});

try {
  await server.ready();
} catch (err) {
  fail(`listen on 127.0.0.1:${port}: ${err.message}`);
}
out({ url: server.url });

let exiting = false;
function exit() {
  if (exiting) return;
  exiting = true;
  // Open event streams never end by themselves: drop every connection.
  server.close(true).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
process.stdin.on("end", exit);
process.stdin.on("close", exit);
process.stdin.resume();
