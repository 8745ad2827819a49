package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/redis"
)

// serverConfig is what the parent tells a child server, by flags.
type serverConfig struct {
	impl         string        // an implInfo name (impls.go)
	queue        int           // per-connection outbound queue bound, in messages
	writeTimeout time.Duration // per-write deadline; a stalled client is closed after it
	sndbuf       int           // SO_SNDBUF of accepted connections; 0 leaves the kernel's autotuning
	// brokerURL, for anyws only, is the redis:// URL of the broker that
	// the multi-node huge run's nodes share (huge_nodes.go); empty: a
	// single node.
	brokerURL string
	// brokerHistory: the broker keeps topic history and peer records
	// (redis.NewHistory, what resuming across nodes and after a node's
	// death needs) instead of Pub/Sub alone (redis.New).
	brokerHistory bool
	broker        pubsub.Broker // made by runServer from brokerURL
}

// impl is what every implementation provides to the child server.
type impl interface {
	// routes mounts what it serves of /ws, /sse and /bsse.
	routes(mux *http.ServeMux)
	// publish sends payload to every subscriber of the room.
	publish(payload []byte)
	// peers counts the open connections.
	peers() int
	// shutdown closes every connection.
	shutdown(ctx context.Context)
}

// runServer is the child process: it serves until stdin closes (the
// parent exited or is done with it) or a signal arrives.
func runServer(cfg serverConfig) error {
	info, err := lookupImpl(cfg.impl)
	if err != nil {
		return err
	}
	if info.node != "" {
		return fmt.Errorf("anyws-bench: %s is a Node program: the parent starts it (nodews.go)", cfg.impl)
	}
	if cfg.brokerURL != "" {
		if cfg.impl != "anyws" {
			return fmt.Errorf("anyws-bench: -broker is for anyws only, not %s", cfg.impl)
		}
		var b pubsub.Broker
		var err error
		if cfg.brokerHistory {
			b, err = redis.NewHistory(&redis.Options{URL: cfg.brokerURL}, nil)
		} else {
			b, err = redis.New(&redis.Options{URL: cfg.brokerURL})
		}
		if err != nil {
			return fmt.Errorf("anyws-bench: broker: %w", err)
		}
		cfg.broker = b
	}
	im := info.newImpl(cfg)
	if stop := profileCPU(cfg.impl); stop != nil {
		defer stop()
	}
	mux := serverMux(im)
	var lc net.ListenConfig
	if cfg.sndbuf > 0 {
		// Accepted sockets inherit the listener's buffer size: a stalled
		// client then fills the server's socket in a few events, and the
		// stall reaches the implementation's queue, as it would behind a
		// real network.
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, cfg.sndbuf)
			})
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("anyws-bench: listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(quietLog{}, "", log.LstdFlags)}
	// HTTP/1.1 and h2c (HTTP/2 with prior knowledge): the sse-h2 runs'
	// clients speak only h2c; every other client speaks HTTP/1.1.
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(ln.Addr().String())

	stop := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(stop)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-stop:
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	im.shutdown(ctx)
	_ = srv.Close()
	return nil
}

// serverMux serves im's routes, /publish and /stats.
func serverMux(im impl) *http.ServeMux {
	mux := http.NewServeMux()
	im.routes(mux)
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		handlePublish(w, r, im)
	})
	mux.HandleFunc("POST /sync", func(w http.ResponseWriter, r *http.Request) {
		// A node subscribes on the broker from its own goroutine: the
		// parent asks every node to be subscribed before it publishes,
		// or the first event could miss a node.
		s, ok := im.(syncer)
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := s.sync(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(serverStats{
			RSS: procStatus("VmRSS:"), PeakRSS: procStatus("VmHWM:"), Peers: im.peers(), Goroutines: runtime.NumGoroutine(),
			HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse,
			CPU: cpuTime(), WriteCalls: writeCalls(),
		})
	})
	return mux
}

// syncer is an impl with a broker: sync returns once the broker has
// applied every subscription made so far.
type syncer interface {
	sync(ctx context.Context) error
}

// serverStats is the answer of /stats.
type serverStats struct {
	RSS        int64  `json:"rss"`
	PeakRSS    int64  `json:"peakRSS"` // VmHWM: the most RSS the process ever had
	Peers      int    `json:"peers"`
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	// CPU is the process's user+system CPU time so far: per delivered
	// message it is a cost that a busy machine disturbs far less than
	// throughput.
	CPU time.Duration `json:"cpu"`
	// WriteCalls counts the process's write system calls (syscw in
	// /proc/self/io): per delivered message it shows batching.
	WriteCalls int64 `json:"writeCalls"`
}

// cost is what a server spent between two stats, per delivered message.
type cost struct {
	cpuPerMsg    time.Duration
	writesPerMsg float64
}

func costBetween(a, b serverStats, delivered int64) cost {
	if delivered <= 0 {
		return cost{}
	}
	return cost{
		cpuPerMsg:    (b.CPU - a.CPU) / time.Duration(delivered),
		writesPerMsg: float64(b.WriteCalls-a.WriteCalls) / float64(delivered),
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeCalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// handlePublish publishes n events of size bytes at rate events/s (0: as
// fast as possible). Each payload starts with its sequence number and the
// publish time in Unix nanoseconds, which the clients turn into latency.
func handlePublish(w http.ResponseWriter, r *http.Request, im impl) {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("n"))
	size, _ := strconv.Atoi(q.Get("size"))
	rate, _ := strconv.ParseFloat(q.Get("rate"), 64)
	if n <= 0 || n > 10_000_000 {
		http.Error(w, "anyws: n must be between 1 and 10,000,000 events", http.StatusBadRequest)
		return
	}
	start := time.Now()
	for i := range n {
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
		}
		im.publish(eventPayload(i, size))
	}
	w.WriteHeader(http.StatusNoContent)
}

// eventPayload is "seq unixnano " padded with 'x' to size bytes: one line,
// so every transport carries it as is.
func eventPayload(seq, size int) []byte {
	b := make([]byte, 0, max(size, 40))
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, ' ')
	for len(b) < size {
		b = append(b, 'x')
	}
	return b
}

// parsePayload reverses eventPayload.
func parsePayload(b []byte) (seq int, sent time.Time, ok bool) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return 0, time.Time{}, false
	}
	j := bytes.IndexByte(b[i+1:], ' ')
	if j < 0 {
		return 0, time.Time{}, false
	}
	s, err1 := strconv.Atoi(string(b[:i]))
	ns, err2 := strconv.ParseInt(string(b[i+1:i+1+j]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, false
	}
	return s, time.Unix(0, ns), true
}

// procStatus reads a size field of /proc/self/status (VmRSS: resident
// set size, VmHWM: its peak) in bytes.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// quietLog is the child server's error log: stderr, less the line
// go-sse's handler makes net/http print for every subscriber that goes
// away (it answers an error after the stream started).
type quietLog struct{}

func (quietLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("superfluous response.WriteHeader")) {
		return len(p), nil
	}
	return os.Stderr.Write(p)
}
