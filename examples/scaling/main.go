package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address of this node")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379", "URL of the Redis every node shares")
	flag.Parse()
	hub, h, err := newNode(*redisURL, log.Printf)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hub.Shutdown(sctx)
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("node %s on http://%s (WebSocket /_ws, SSE /_sse), Redis %s", hub.NodeID(), *addr, *redisURL)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
