package main

// This file serves the example on localhost the way browsers and
// crossws's clients reach it: on both 127.0.0.1 and [::1], since
// "localhost" may resolve to either and net.Listen("tcp",
// "localhost:port") binds only one. A server meant for other machines
// listens on one address (":3000", say) with srv.ListenAndServe instead,
// and keeps the shutdown of serveLoopback.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// listenLoopback opens 127.0.0.1:port and [::1]:port. Port "0" picks a free port
// on 127.0.0.1 and reuses it on [::1]. A machine without IPv6 gets the
// IPv4 listener alone, with a note on warn.
func listenLoopback(port string, warn io.Writer) ([]net.Listener, error) {
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
		fmt.Fprintf(warn, "no IPv6 loopback (%v): serving 127.0.0.1 only\n", err)
		return []net.Listener{v4}, nil
	}
}

// portOf is the listener's TCP port.
func portOf(ln net.Listener) string {
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// addrsOf lists the listeners' addresses for a log line.
func addrsOf(lns []net.Listener) string {
	s := lns[0].Addr().String()
	for _, ln := range lns[1:] {
		s += " and " + ln.Addr().String()
	}
	return s
}

// serveLoopback serves srv on every listener (over TLS, HTTP/2 included, when
// srv.TLSConfig is set) until ctx ends or a listener fails. Then it runs
// closePeers before srv.Shutdown, both bounded by timeout:
// an open SSE stream is an active request, which Shutdown would otherwise
// wait for.
func serveLoopback(ctx context.Context, srv *http.Server, lns []net.Listener, closePeers func(context.Context) error, timeout time.Duration) error {
	// Decide once: serving sets up HTTP/2, which fills in srv.TLSConfig.
	useTLS := srv.TLSConfig != nil
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() {
			if useTLS {
				served <- srv.ServeTLS(ln, "", "")
			} else {
				served <- srv.Serve(ln)
			}
		}()
	}
	var serveErr error
	pending := len(lns)
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		pending--
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := errors.Join(serveErr, closePeers(sctx), srv.Shutdown(sctx))
	for range pending {
		if e := <-served; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	return err
}
