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
// JavaScript client of adapters/auto over every transport and uplink, its
// fallback when upgrades are refused, and its reconnection after a server
// restart.
package browsertest
