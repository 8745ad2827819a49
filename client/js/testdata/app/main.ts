// The test app: esbuild bundles it from the installed package tarball and
// the Go test drives window.run in headless Chromium.
import { AnyWS, type AnyWSData, type AnyWSOptions } from "@anyws/client";

export interface Outcome {
  transport: string;
  uplink: string;
  protocol: string;
  fallback: string | null;
  readyStates: number[];
  got: string[];
  close: { code: number; reason: string; status: number; wasClean: boolean; willReconnect: boolean };
}

const describe = (data: AnyWSData): string =>
  typeof data === "string" ? data : data instanceof ArrayBuffer ? "bin:" + new Uint8Array(data).join(",") : "blob";

// run connects, sends a text and a binary message to an echo server,
// waits for the greeting and both echoes, closes, and reports. A refused
// connection reports its close right away.
async function run(url: string, options: AnyWSOptions, protocols?: string): Promise<Outcome> {
  const ws = protocols === undefined ? new AnyWS(url, options) : new AnyWS(url, protocols, options);
  ws.binaryType = "arraybuffer";
  const readyStates: number[] = [ws.readyState];
  const got: string[] = [];
  let opened = { transport: "", uplink: "", protocol: "", fallback: null as string | null };
  const closed = new Promise<Outcome["close"]>((resolve) => {
    ws.addEventListener("close", (e) => {
      if (!e.willReconnect) resolve({ code: e.code, reason: e.reason, status: e.status, wasClean: e.wasClean, willReconnect: e.willReconnect });
    });
  });
  const echoed = new Promise<void>((resolve) => {
    ws.onmessage = (e) => {
      got.push(describe(e.data));
      if (got.length === 3) resolve();
    };
  });
  const open = new Promise<boolean>((resolve) => {
    ws.onopen = () => resolve(true);
    void closed.then(() => resolve(false));
  });
  if (await open) {
    readyStates.push(ws.readyState);
    opened = { transport: ws.transport, uplink: ws.uplink, protocol: ws.protocol, fallback: ws.fallback?.reason ?? null };
    ws.send("hello");
    ws.send(new Uint8Array([1, 2, 255]));
    await echoed;
    ws.close(1000, "bye");
    readyStates.push(ws.readyState);
  }
  const close = await closed;
  readyStates.push(ws.readyState);
  return { ...opened, readyStates, got, close };
}

declare global {
  interface Window {
    run: typeof run;
    constants: () => number[];
  }
}

window.run = run;
window.constants = () => [AnyWS.CONNECTING, AnyWS.OPEN, AnyWS.CLOSING, AnyWS.CLOSED];
