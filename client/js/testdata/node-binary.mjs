// node-binary.mjs <url>: the client in Node over SSE against an echo
// server: it sends text that looks like crossws's binary data URL, and
// binary, and prints one JSON line with what came back and how
// (issue 16 item 10).
import { AnyWS } from "../anyws.js";

delete globalThis.WebSocket;
const sent = [
  "data:application/octet-stream;base64,aGk=",
  new TextEncoder().encode("hi"),
  "data:application/octet-stream;base64,!!",
  new TextEncoder().encode("data:application/octet-stream;base64,aGk="),
  new Uint8Array(0),
];
const ws = new AnyWS(process.argv[2], { maxAttempts: 0 });
ws.binaryType = "arraybuffer";
const got = [];
const done = new Promise((resolve) => {
  ws.onmessage = (e) => {
    got.push(typeof e.data === "string" ? { text: e.data } : { binary: new TextDecoder().decode(e.data) });
    if (got.length === sent.length) resolve();
  };
});
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onclose = (e) => reject(new Error(`closed before open: ${e.code} ${e.reason}`));
});
const transport = ws.transport;
for (const m of sent) ws.send(m);
await done;
await new Promise((resolve) => {
  ws.onclose = resolve;
  ws.close(1000, "bye");
});
console.log(JSON.stringify({ transport, got }));
