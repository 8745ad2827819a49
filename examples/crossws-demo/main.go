package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// defaultPort is crossws's usual development port, used when neither PORT
// nor -port is given.
const defaultPort = "3000"

// shutdownTimeout bounds the graceful part of a shutdown: peers get their
// close frame or close event, then whatever is left is cut.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crossws-demo:", err)
		stop()
		os.Exit(1)
	}
}

// run serves the demo until ctx ends, then shuts down gracefully. It
// prints one line once both listeners accept connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("crossws-demo", flag.ContinueOnError)
	port := fs.String("port", getenv("PORT"), "TCP port on 127.0.0.1 and [::1] (default: $PORT, else "+defaultPort+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *port == "" {
		*port = defaultPort
	}
	lns, err := listen(*port)
	if err != nil {
		return err
	}

	hub := newHub()
	// No ReadTimeout or WriteTimeout: SSE streams and streaming uplink
	// POSTs stay open for as long as the peer lives; the adapters put a
	// deadline on each write themselves.
	srv := &http.Server{Handler: newHandler(hub), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { served <- srv.Serve(ln) }()
	}
	fmt.Fprintf(stdout, "crossws-demo: listening on http://localhost:%s/ (%s)\n", portOf(lns[0]), addrs(lns))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Close the peers first: an open SSE stream is an active request,
	// which http.Server.Shutdown would otherwise wait for.
	err = errors.Join(serveErr, hub.Shutdown(sctx), srv.Shutdown(sctx))
	for range lns {
		if e := <-served; !errors.Is(e, http.ErrServerClosed) && serveErr == nil {
			err = errors.Join(err, e)
		}
	}
	return err
}

// listen opens 127.0.0.1:port and [::1]:port: clients that resolve
// "localhost" may try either, and net.Listen("tcp", "localhost:port")
// binds only one. Port 0 picks a free port on 127.0.0.1 and reuses it on
// [::1]. A machine without IPv6 gets the IPv4 listener alone.
func listen(port string) ([]net.Listener, error) {
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("port %q is not a TCP port number (set PORT or -port)", port)
	}
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	v6, err := net.Listen("tcp", net.JoinHostPort("::1", portOf(v4)))
	switch {
	case err == nil:
		return []net.Listener{v4, v6}, nil
	case errors.Is(err, syscall.EADDRINUSE):
		_ = v4.Close()
		return nil, fmt.Errorf("listen on [::1]: %w", err)
	default:
		fmt.Fprintf(os.Stderr, "crossws-demo: no IPv6 loopback (%v): serving 127.0.0.1 only\n", err)
		return []net.Listener{v4}, nil
	}
}

func portOf(ln net.Listener) string {
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func addrs(lns []net.Listener) string {
	s := lns[0].Addr().String()
	for _, ln := range lns[1:] {
		s += " and " + ln.Addr().String()
	}
	return s
}
