package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout bounds the graceful part of a shutdown: peers get their
// close frame or close event, then whatever is left is cut.
const shutdownTimeout = 10 * time.Second

func main() {
	// SIGTERM is how process managers, Docker and Kubernetes stop a node.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		stop()
		log.Fatal(err)
	}
}

// run serves one node until ctx ends, then shuts it down: the peers
// first (close frames and close events, Close hooks), then the server.
func run(ctx context.Context, args []string, logw io.Writer) error {
	fs := flag.NewFlagSet("scaling", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address of this node")
	redisURL := fs.String("redis", "redis://127.0.0.1:6379", "URL of the Redis every node shares")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := log.New(logw, "", log.LstdFlags)
	hub, h, err := newNode(*redisURL, logger.Printf)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = hub.Close()
		return err
	}
	// ReadHeaderTimeout only: a ReadTimeout or WriteTimeout would cut SSE
	// streams and streaming uplinks, which last as long as their peer
	// (the adapters put a deadline on each write themselves).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("node %s on http://%s (WebSocket /_ws, SSE /_sse), Redis %s", hub.NodeID(), ln.Addr(), *redisURL)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// The Hub first: an open SSE stream is an active request, which
	// srv.Shutdown would otherwise wait for.
	err = errors.Join(serveErr, hub.Shutdown(sctx), srv.Shutdown(sctx))
	if serveErr == nil {
		if e := <-served; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	if err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	return nil
}
