// Helpers shared by the harness scripts. Each script takes the server URL
// as its first argument, prints one JSON object per line for every message
// it receives (the Go test compares them), and exits non-zero with a
// message on stderr when anything is unexpected or too slow.

/** Bounds every wait, and the whole script (see deadline). */
export const TIMEOUT_MS = 10_000;

/** Prints one JSON line on stdout. */
export function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

/** Exits with status 1 and a message on stderr. */
export function fail(msg) {
  process.stderr.write(`node harness: ${msg}\n`);
  process.exit(1);
}

/** Ends the script if it runs longer than ms: no test hangs on Node. */
export function deadline(ms = 3 * TIMEOUT_MS) {
  setTimeout(() => fail(`script did not finish within ${ms} ms`), ms).unref();
}

/** Fails unless got === want. */
export function expectEqual(got, want, what) {
  if (got !== want) fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

const welcomeRE = /^Welcome to the server (\S+)! \(namespace: (.*)\)$/;

/** Checks a welcome message and returns the peer id in it. */
export function welcomeID(msg, namespace) {
  const m = welcomeRE.exec(msg);
  if (!m) fail(`first message is not the welcome: ${JSON.stringify(msg)}`);
  expectEqual(m[2], namespace, "welcome namespace");
  return m[1];
}

/** Inbox queues a client's messages so a script can await them in order. */
export class Inbox {
  #items = [];
  #waiters = [];
  constructor(name) {
    this.name = name;
  }
  push(item) {
    out({ client: this.name, ...item });
    const w = this.#waiters.shift();
    if (w) w(item);
    else this.#items.push(item);
  }
  /** Resolves with the next message, or fails the script after TIMEOUT_MS. */
  next(what = "a message") {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => fail(`${this.name}: no ${what} within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
      this.#waiters.push((item) => {
        clearTimeout(timer);
        resolve(item);
      });
    });
  }
  /** Awaits the next message and checks it is the text want. */
  async expectText(want) {
    const m = await this.next(JSON.stringify(want));
    expectEqual(m.type, "text", `${this.name}: type of ${JSON.stringify(m.data)}`);
    expectEqual(m.data, want, `${this.name}: message`);
    return m.data;
  }
}

/** The URL argument, or a usage error. */
export function urlArg(usage) {
  const url = process.argv[2];
  if (!url) fail(`usage: ${usage}`);
  return url;
}
