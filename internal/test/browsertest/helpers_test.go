package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/stretchr/testify/require"
)

const wait = 20 * time.Second

// echoHub greets each peer with its transport and echoes every message
// with its type. It is shut down when the test ends.
func echoHub(t *testing.T, greeting string) *anyws.Hub {
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe("news")
			_ = p.Send(greeting + p.Transport())
		},
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, nil)
	t.Cleanup(func() { shutdown(t, hub) })
	return hub
}

func shutdown(t *testing.T, hub *anyws.Hub) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, hub.Shutdown(ctx))
}

// mux serves the test page and its scripts, the JavaScript client, and
// endpoint on /_ws.
func mux(endpoint http.Handler) *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("/_ws", endpoint)
	m.Handle("/anyws.js", auto.Client())
	m.Handle("/", http.FileServer(http.Dir("testdata")))
	return m
}

// serve starts h on loopback: HTTP/1.1 in clear, or HTTPS with HTTP/2
// (httptest's certificate; the test browser accepts it).
func serve(t *testing.T, h http.Handler, h2 bool) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// js quotes Go values as JavaScript literals for Eval.
func js(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprint(v)
	}
}
