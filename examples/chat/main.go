package main

import (
	"context"
	"crypto/tls"
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

// shutdownTimeout bounds the graceful part of a shutdown: peers get their
// close frame or close event, then whatever is left is cut.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		stop()
		os.Exit(1)
	}
}

// run serves the chat until ctx ends, then shuts down gracefully. It
// prints the URL once both listeners accept connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	port := fs.String("port", getenv("PORT"), "TCP port on 127.0.0.1 and [::1] (default: $PORT, else 3000)")
	forceSSE := fs.Bool("sse", false, "make the page use SSE instead of trying WebSocket first")
	useTLS := fs.Bool("tls", false, "serve HTTPS (and HTTP/2) with a self-signed certificate made at startup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *port == "" {
		*port = "3000"
	}
	lns, err := listen(*port)
	if err != nil {
		return err
	}
	hub := newHub()
	// No ReadTimeout or WriteTimeout: SSE streams and streaming uplinks
	// stay open as long as their peer; the adapters time each write.
	srv := &http.Server{Handler: newHandler(hub, *forceSSE), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *useTLS {
		cert, err := selfSigned()
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() {
			if *useTLS {
				served <- srv.ServeTLS(ln, "", "") // HTTP/2 included
			} else {
				served <- srv.Serve(ln)
			}
		}()
	}
	fmt.Fprintf(stdout, "chat: open %s://localhost:%s/ in two tabs, one with ?transport=sse (listening on %s)\n", scheme, portOf(lns[0]), addrs(lns))
	if *useTLS {
		fmt.Fprintln(stdout, "chat: the certificate is self-signed: accept the browser's warning once")
	}

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
	for range len(lns) - boolInt(serveErr != nil) {
		if e := <-served; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listen opens 127.0.0.1:port and [::1]:port: browsers resolve
// "localhost" to either, and net.Listen("tcp", "localhost:port") binds
// only one. Port 0 picks a free port on 127.0.0.1 and reuses it on [::1].
// A machine without IPv6 gets the IPv4 listener alone.
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
		fmt.Fprintf(os.Stderr, "chat: no IPv6 loopback (%v): serving 127.0.0.1 only\n", err)
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
