package membench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// transports the idle benchmark opens connections over.
var transports = []string{"websocket", "sse-h1", "sse-h2"}

// newHTTPClient returns a client for transport's connections.
func newHTTPClient(transport string) *http.Client {
	tr := &http.Transport{DialContext: dialLoopback, DisableCompression: true, MaxIdleConnsPerHost: 64}
	if transport == "sse-h2" {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = p
	}
	return &http.Client{Transport: tr}
}

// dialIdle opens n connections of transport to addr that never send,
// 32 at a time; the returned func closes them.
func dialIdle(ctx context.Context, hc *http.Client, transport, addr string, n int) (func(), error) {
	closers := make([]io.Closer, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			closers[i], errs[i] = dialOne(dctx, hc, transport, addr)
		})
	}
	wg.Wait()
	closeAll := func() {
		for _, c := range closers {
			if c != nil {
				_ = c.Close()
			}
		}
		hc.CloseIdleConnections()
	}
	if err := errors.Join(errs...); err != nil {
		closeAll()
		return nil, err
	}
	return closeAll, nil
}

type wsCloser struct{ c *websocket.Conn }

func (w wsCloser) Close() error { return w.c.CloseNow() }

func dialOne(ctx context.Context, hc *http.Client, transport, addr string) (io.Closer, error) {
	if transport == "websocket" {
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		c.CloseRead(context.Background()) // answers the server's pings
		return wsCloser{c}, nil
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, "http://"+addr+"/sse", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("membench: GET /sse: %s", resp.Status)
	}
	return resp.Body, nil
}
