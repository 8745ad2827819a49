// crossws's WebSocketSSE client (crossws/websocket/sse) against the demo,
// with the npm eventsource package as globalThis.EventSource (Node 20 has
// none): welcome first, ping/pong, and a chat between two clients.
//
// usage: node websocketsse-client.mjs http://127.0.0.1:PORT/ stream|post
//   stream: one streaming POST for all messages (crossws's default)
//   post:   one POST per message (stream: false)
import { EventSource } from "eventsource";
import { WebSocketSSE } from "crossws/websocket/sse";
import { Inbox, deadline, fail, out, urlArg, welcomeID } from "./lib.mjs";

globalThis.EventSource = EventSource;
deadline();
const url = urlArg("node websocketsse-client.mjs http://host:port/path stream|post");
const mode = process.argv[3];
if (mode !== "stream" && mode !== "post") fail(`mode must be stream or post, not ${JSON.stringify(mode)}`);
const namespace = new URL(url).pathname;

function connect(name) {
  const inbox = new Inbox(name);
  const ws = new WebSocketSSE(url, { bidir: true, stream: mode === "stream" });
  ws.addEventListener("message", (ev) => inbox.push({ type: "text", data: ev.data }));
  ws.addEventListener("error", () => {
    if (ws.readyState !== WebSocketSSE.CLOSED) out({ client: name, warning: "EventSource error event" });
  });
  return { ws, inbox };
}

// send waits for the uplink: crossws's client refuses to send before its
// EventSource is open and queues until the crossws-id event has come.
async function send(client, text) {
  try {
    await client.ws.send(text);
  } catch (err) {
    fail(`${client.inbox.name}: send ${JSON.stringify(text)}: ${err.message}`);
  }
}

const a = connect("a");
const idA = welcomeID((await a.inbox.next("welcome")).data, namespace);
await send(a, "ping");
await a.inbox.expectText("pong");

const b = connect("b");
const idB = welcomeID((await b.inbox.next("welcome")).data, namespace);
await a.inbox.expectText(`${idB} joined!`);

await send(b, "hello from crossws ✓");
await b.inbox.expectText("hello from crossws ✓");
await a.inbox.expectText("hello from crossws ✓");

await send(a, "debug");
const debug = JSON.parse((await a.inbox.next("debug reply")).data);
if (debug.id !== idA) fail(`debug id ${debug.id}, want ${idA}`);
if (debug.context?.test !== "1") fail(`debug context ${JSON.stringify(debug.context)}`);

const peers = `{"peers":["${idA}","${idB}"]}`;
await send(b, "peers");
await b.inbox.expectText(peers);

a.ws.close();
b.ws.close();
out({ ok: true, ids: [idA, idB] });
// The streaming uplink fetch stays open after close(), as in a browser tab:
// end the process instead of waiting for it.
process.exit(0);
