// Package browsertest runs tests in a real browser: Debian's headless
// Chromium (/usr/bin/chromium, installed by `make deps`), driven over the
// DevTools protocol with chromedp. Pages are served by httptest servers on
// loopback.
//
// Start with [Main] in a test package's TestMain, then open a tab per test
// with [Tab] and drive it with [Eval]. One browser serves every test of the
// package (started by the first Tab, stopped by Main), so tabs of parallel
// tests run side by side. A missing Chromium fails the test with a message
// saying to run `make deps`; it never skips.
//
// The package's own tests check anyws's transports from the browser:
// native WebSocket and EventSource against the adapters, and the
// JavaScript client (client/js, served by adapters/auto) over every
// transport and uplink, its fallback when upgrades are refused and the
// reason it gives, its end without retries when the server refuses the
// connection, its sub-protocols, named SSE events, and its reconnection
// after a server restart. client/js tests the npm package itself.
package browsertest
