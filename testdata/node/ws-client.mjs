// Node's ws client against the demo: welcome first, ping/pong, binary, and
// a chat between two clients.
//
// usage: node ws-client.mjs ws://127.0.0.1:PORT/
import WebSocket from "ws";
import { Inbox, TIMEOUT_MS, deadline, expectEqual, fail, out, urlArg, welcomeID } from "./lib.mjs";

deadline();
const url = urlArg("node ws-client.mjs ws://host:port/path");
const namespace = new URL(url).pathname;

function connect(name) {
  const inbox = new Inbox(name);
  const ws = new WebSocket(url, { handshakeTimeout: TIMEOUT_MS });
  ws.on("message", (data, isBinary) => {
    inbox.push({ type: isBinary ? "binary" : "text", data: data.toString("utf8") });
  });
  ws.on("error", (err) => fail(`${name}: ${err.message}`));
  return { ws, inbox };
}

const a = connect("a");
const idA = welcomeID((await a.inbox.next("welcome")).data, namespace);
a.ws.send("ping");
await a.inbox.expectText("pong");

a.ws.send("binary");
const bin = await a.inbox.next("binary reply");
expectEqual(bin.type, "binary", "type of the binary reply");
expectEqual(bin.data, "binary message works!", "binary reply");

const b = connect("b");
const idB = welcomeID((await b.inbox.next("welcome")).data, namespace);
await a.inbox.expectText(`${idB} joined!`);

a.ws.send("hello from node ✓");
await a.inbox.expectText("hello from node ✓");
await b.inbox.expectText("hello from node ✓");

const peers = `{"peers":["${idA}","${idB}"]}`;
a.ws.send("peers");
await a.inbox.expectText(peers);
b.ws.send("peers");
await b.inbox.expectText(peers);

for (const { ws } of [a, b]) ws.close(1000, "done");
await Promise.all(
  [a, b].map(({ ws }) => new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.on("close", resolve)))),
);
out({ ok: true, ids: [idA, idB] });
