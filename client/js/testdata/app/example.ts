import { AnyWS, type AnyWSCloseEvent } from "@anyws/client";

const ws = new AnyWS("/_ws", { maxAttempts: 10 });
ws.binaryType = "arraybuffer";

ws.onopen = () => {
  // "websocket", or "sse" with the reason in ws.fallback
  console.log("open over", ws.transport, ws.fallback?.reason ?? "");
  ws.send("hello");
};

ws.onmessage = (e) => {
  const text = typeof e.data === "string" ? e.data : `${(e.data as ArrayBuffer).byteLength} bytes`;
  console.log("got", text);
};

ws.addEventListener("close", (e: AnyWSCloseEvent) => {
  if (e.status === 401) console.log("log in first:", e.reason); // code 4401, no retry
  else if (e.willReconnect) console.log("reconnecting after", e.code);
});

// A named SSE event, from a server that sends them.
ws.addEventListener("presence", (e) => console.log("presence", e.data));
