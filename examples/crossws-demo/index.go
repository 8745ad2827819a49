package main

// indexHTML is the page served for any other request: a minimal chat that
// speaks the demo's protocol over WebSocket, falling back to crossws's
// EventSource + POST scheme when WebSocket is blocked. No build step, no
// external assets.
const indexHTML = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>anyws: crossws demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; }
  #log { border: 1px solid #ccc; height: 20rem; overflow-y: auto; padding: .5rem; white-space: pre-wrap; }
  form { display: flex; gap: .5rem; margin-top: .5rem; } input { flex: 1; }
</style>
<h1>crossws demo, served by anyws</h1>
<p>Try <code>ping</code>, <code>binary</code>, <code>debug</code>, <code>peers</code>,
<code>waitForDrain</code>, or any text to chat. <a href="/peers">/peers</a> lists everyone;
<code>/publish?topic=chat&amp;message=hi</code> speaks to all.</p>
<div id="log"></div>
<form id="form"><input id="input" autocomplete="off" autofocus><button>Send</button></form>
<script type="module">
const log = (s) => { const el = document.getElementById("log"); el.textContent += s + "\n"; el.scrollTop = el.scrollHeight; };
const url = new URL(location.href);
let send;
function sse() {
  log("[sse] connecting");
  const es = new EventSource(url);
  let id;
  es.addEventListener("message", (e) => log(e.data));
  es.addEventListener("crossws-id", (e) => { id = e.data; log("[sse] open"); });
  es.addEventListener("close", () => { log("[sse] closed"); es.close(); });
  send = (text) => id && fetch(url, { method: "POST", headers: { "x-crossws-id": id }, body: text });
}
function ws() {
  const wsURL = new URL(url); wsURL.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(wsURL);
  let opened = false;
  socket.onopen = () => { opened = true; log("[ws] open"); };
  socket.onmessage = async (e) => log(typeof e.data === "string" ? e.data : "[binary] " + await e.data.text());
  socket.onclose = () => { log("[ws] closed"); if (!opened) sse(); };
  send = (text) => socket.send(text);
}
ws();
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("input");
  if (input.value) send(input.value);
  input.value = "";
};
</script>
`
