package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
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
	lns, err := listenLoopback(*port, os.Stderr)
	if err != nil {
		return err
	}

	hub := newHub()
	// No ReadTimeout or WriteTimeout: SSE streams and streaming uplink
	// POSTs stay open for as long as the peer lives; the adapters put a
	// deadline on each write themselves.
	srv := &http.Server{Handler: newHandler(hub), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "crossws-demo: listening on http://localhost:%s/ (%s)\n", portOf(lns[0]), addrsOf(lns))

	return serveLoopback(ctx, srv, lns, hub.Shutdown, shutdownTimeout)
}
