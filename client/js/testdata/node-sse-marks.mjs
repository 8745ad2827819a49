// node-sse-marks.mjs <url>: the client's SSE recovery with marks against
// the hand-written server of TestNodeSSEMarks (node_marks_test.go), in
// Node over per-message POSTs. The server scripts each stream; this side
// sends p1 once m4 came, p2 once p1's answer came (its POST never gets an
// answer and the stream drops), p3 once the recovered stream opened,
// and closes once the fourth stream opened. Prints one JSON line with
// what the client saw.
import { AnyWS } from "../anyws.js";

const ws = new AnyWS(process.argv[2], { transport: "sse", uplink: "post", minDelay: 1, maxDelay: 1 });
const opens = [];
const messages = [];
const unsent = [];
const waiters = [];
const poke = () => {
  for (const w of waiters.splice(0)) if (!w()) waiters.push(w);
};
const until = (pred) => new Promise((resolve) => {
  const check = () => (pred() ? (resolve(), true) : false);
  if (!check()) waiters.push(check);
});
const got = (data) => until(() => messages.some((m) => m.data === data));
ws.addEventListener("open", (e) => {
  opens.push({ resumed: e.resumed, recovered: e.recovered, lost: e.lost, mended: e.mended, gaps: e.gaps, reason: e.resumeReason });
  poke();
});
ws.onmessage = (e) => {
  messages.push({ data: e.data, lastEventId: e.lastEventId });
  poke();
};
ws.onerror = (e) => {
  if (e.unsent !== undefined) unsent.push({ data: e.unsent, recovered: /recovered/.test(e.message) });
};

await got("m4");
ws.send("p1");
await got("ack p1");
ws.send("p2");
await until(() => opens.length >= 2);
ws.send("p3");
await got("ack p3");
await until(() => opens.length >= 4);
ws.onclose = (e) => {
  console.log(JSON.stringify({ opens, messages, unsent, close: { code: e.code, wasClean: e.wasClean } }));
  process.exit(0);
};
ws.close(1000, "done");
