// Package membench measures a server's memory from outside, the way an
// operator sees it: resident memory (RSS) per idle connection, with and
// without a forced GC, and peak RSS (VmHWM) in the crossws chat-room
// workload, for anyws and for bare coder/websocket and net/http servers
// written by hand (the floor a Go server pays).
//
// Each server runs in a child process (the test binary re-executed), so
// the clients' memory is not counted. Run it with
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/test/membench/
//
// MEMBENCH_N sets the idle connection count (default 2,000),
// MEMBENCH_ROUNDS the chat rounds (default 6);
// MEMBENCH_PROFILE=dir writes a heap profile of each idle server there
// (MEMBENCH_PROFILE_RATE sets its MemProfileRate, default 1; the
// directory must exist). Profiling changes what is measured: at rate 1
// every live object carries a profiling record outside the Go heap, so
// KiB-rss/conn grows while KiB-heap/conn does not (4,000 idle
// connections, medians of 3: anyws/sse-h2 16.0 KiB instead of 14.3,
// anyws/websocket 9.8 instead of 7.6, bare/sse-h2 11.1 instead of 9.9).
// Take RSS figures from a run without MEMBENCH_PROFILE.
// MEMBENCH_PING=1s gives anyws's WebSocket peers a 1 s keep-alive and
// measures after three of them. These are benchmarks: nothing here asserts a
// figure, they report it (b.ReportMetric).
package membench
