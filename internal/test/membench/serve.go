package membench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"
)

// serveEnv names the server kind a re-executed test binary serves
// (TestMain), instead of running tests.
const serveEnv = "MEMBENCH_SERVE"

// profileEnv names a directory for heap profiles of the child, and
// profileRateEnv its runtime.MemProfileRate (default 1: every allocation).
const (
	profileEnv     = "MEMBENCH_PROFILE"
	profileRateEnv = "MEMBENCH_PROFILE_RATE"
)

// queueEnv is the per-connection queue bound, in messages, the parent
// gives a child (cmd/anyws-bench's: 4,096 for idle connections, four
// chat rounds for the chat room).
const queueEnv = "MEMBENCH_QUEUE"

// pingEnv sets the anyws server's WebSocket PingInterval (a Go
// duration); the idle benchmark then waits three intervals before it
// measures, so every peer has answered pings.
const pingEnv = "MEMBENCH_PING"

// routes is one server kind: it mounts /ws and /sse, counts its open
// peers and shuts down.
type routes interface {
	mount(mux *http.ServeMux)
	peers() int
	shutdown(ctx context.Context)
}

// stats is the answer of the child's /stats.
type stats struct {
	Peers      int    `json:"peers"`
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	Sys        uint64 `json:"sys"`
}

// serveChild is the child process: it serves kind on a loopback port
// (printed on stdout) until stdin closes.
func serveChild(kind string) int {
	profile := os.Getenv(profileEnv)
	if profile != "" {
		runtime.MemProfileRate = envInt(profileRateEnv, 1)
	}
	var rt routes
	switch kind {
	case "anyws":
		rt = newAnywsServer(envInt(queueEnv, 4096))
	case "bare":
		rt = newBareServer(envInt(queueEnv, 4096))
	case "direct":
		rt = newDirectServer()
	default:
		fmt.Fprintf(os.Stderr, "membench: unknown server %q\n", kind)
		return 2
	}
	mux := http.NewServeMux()
	rt.mount(mux)
	var profiles atomic.Int64
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		if name := r.URL.Query().Get("profile"); name != "" && profile != "" {
			f, err := os.Create(filepath.Join(profile, fmt.Sprintf("%s-%s-%d.pprof", kind, name, profiles.Add(1))))
			if err != nil {
				// Say so: a run whose profile is missing still paid
				// for profiling (MemProfileRate), see doc.go.
				fmt.Fprintf(os.Stderr, "membench: heap profile: %v\n", err)
			} else {
				runtime.GC()
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				_ = f.Close()
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(stats{
			Peers: rt.peers(), Goroutines: runtime.NumGoroutine(),
			HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Sys: ms.Sys,
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		return 1
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true) // h2c with prior knowledge, for SSE over HTTP/2
	srv := &http.Server{Handler: mux, Protocols: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(ln.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rt.shutdown(ctx)
	_ = srv.Close()
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
