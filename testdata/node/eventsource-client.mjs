// The npm eventsource client on a plain (one-way) anyws SSE stream: prints
// every message event, and the close event, exactly as the client sees
// them, then exits when the server's close event arrives.
//
// usage: node eventsource-client.mjs http://127.0.0.1:PORT/
import { EventSource } from "eventsource";
import { deadline, fail, out, urlArg } from "./lib.mjs";

deadline();
const url = urlArg("node eventsource-client.mjs http://host:port/path");
const es = new EventSource(url);
es.addEventListener("message", (ev) => out({ type: ev.type, data: ev.data, lastEventId: ev.lastEventId }));
es.addEventListener("close", (ev) => {
  out({ type: ev.type, data: ev.data });
  es.close();
  process.exit(0);
});
es.addEventListener("error", (ev) => {
  fail(`EventSource error before the close event: ${ev.message ?? "connection failed"} (readyState ${es.readyState})`);
});
