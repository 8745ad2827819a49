// node-client.mjs <url>: the client in Node, without WebSocket (Node 20
// has none; newer Nodes' is removed), against an echo server: it must
// fall back to SSE ("unavailable"), echo text and binary, and close.
// Prints one JSON line with what happened.
import { AnyWS } from "../anyws.js";

delete globalThis.WebSocket;
const ws = new AnyWS(process.argv[2], { maxAttempts: 0 });
ws.binaryType = "arraybuffer";
const got = [];
const done = new Promise((resolve) => {
  ws.onmessage = (e) => {
    got.push(typeof e.data === "string" ? e.data : "bin:" + new Uint8Array(e.data).join(","));
    if (got.length === 3) resolve();
  };
});
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onclose = (e) => reject(new Error(`closed before open: ${e.code} ${e.reason}`));
});
const opened = { transport: ws.transport, uplink: ws.uplink, fallback: ws.fallback };
ws.send("hello");
ws.send(new Uint8Array([1, 2, 255]));
await done;
const close = await new Promise((resolve) => {
  ws.onclose = (e) => resolve({ code: e.code, wasClean: e.wasClean, willReconnect: e.willReconnect });
  ws.close(1000, "bye");
});
console.log(JSON.stringify({ ...opened, got, close, readyState: ws.readyState }));
