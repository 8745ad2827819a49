// Type errors the declarations must catch under --strict: each line
// below fails to compile without its @ts-expect-error (tsc reports an
// unused @ts-expect-error as an error, so a declaration that became too
// loose fails the test).
import { AnyWS, type AnyWSCloseEvent } from "@anyws/client";

const ws = new AnyWS("/_ws");
// @ts-expect-error: readyState is read-only
ws.readyState = 1;
// @ts-expect-error: not a transport
new AnyWS("/_ws", { transport: "longpoll" });
// @ts-expect-error: binaryType is "blob" or "arraybuffer"
ws.binaryType = "text";
// @ts-expect-error: send takes data, not numbers
ws.send(42);
// @ts-expect-error: the (url, protocols, options) form takes protocols apart
new AnyWS("/_ws", "chat", { protocols: ["other"] });
ws.addEventListener("close", (e: AnyWSCloseEvent) => {
  // @ts-expect-error: status is a number
  const s: string = e.status;
  void s;
});
ws.addEventListener("reconnecting", (e) => {
  const n: number = e.attempt + e.delay;
  void n;
});
ws.addEventListener("open", (e) => {
  const resumed: boolean = e.resumed && !e.lost && !e.recovered;
  // @ts-expect-error: lost is a boolean
  const lost: string = e.lost;
  // @ts-expect-error: recovered is a boolean
  const recovered: number = e.recovered;
  const mended: boolean = e.mended;
  // @ts-expect-error: gaps cannot be changed
  e.gaps.push("x");
  void resumed, lost, recovered, mended;
});
