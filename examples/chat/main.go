package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
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
	trustProxy := fs.Bool("trust-proxy", false, "believe a reverse proxy's X-Forwarded-Host and X-Forwarded-Proto in the origin check (behind a proxy that terminates TLS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *port == "" {
		*port = "3000"
	}
	lns, err := listenLoopback(*port, os.Stderr)
	if err != nil {
		return err
	}
	hub := newHub()
	// No ReadTimeout or WriteTimeout: SSE streams and streaming uplinks
	// stay open as long as their peer; the adapters time each write.
	srv := &http.Server{Handler: newHandler(hub, *forceSSE, *trustProxy), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *useTLS {
		cert, err := selfSigned()
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	fmt.Fprintf(stdout, "chat: open %s://localhost:%s/ in two tabs, one with ?transport=sse (listening on %s)\n", scheme, portOf(lns[0]), addrsOf(lns))
	if *useTLS {
		fmt.Fprintln(stdout, "chat: the certificate is self-signed: accept the browser's warning once")
	}

	return serveLoopback(ctx, srv, lns, hub.Shutdown, shutdownTimeout)
}
