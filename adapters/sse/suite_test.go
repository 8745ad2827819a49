package sse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/suite"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// TestSuite runs the shared behaviour suite over every SSE mode: one-way,
// one POST per message, crossws's raw streaming POST and anyws's framed
// streaming POST, over HTTP/1.1 and HTTP/2 (TLS and h2c).
func TestSuite(t *testing.T) {
	t.Parallel()
	transports := []suite.Transport{
		sseTransport("one-way/http1", h1, false, websocketsse.UplinkPerMessage),
		sseTransport("one-way/h2-tls", h2, false, websocketsse.UplinkPerMessage),
		sseTransport("post/http1", h1, true, websocketsse.UplinkPerMessage),
		sseTransport("post/h2-tls", h2, true, websocketsse.UplinkPerMessage),
		sseTransport("framed/http1", h1, true, websocketsse.UplinkStream),
		sseTransport("framed/h2c", h2c, true, websocketsse.UplinkStream),
		sseTransport("framed/h2-tls", h2, true, websocketsse.UplinkStream),
		rawTransport("raw/http1", h1),
		rawTransport("raw/h2-tls", h2),
	}
	for _, tr := range transports {
		t.Run(tr.Name, func(t *testing.T) {
			t.Parallel()
			suite.Run(t, tr)
		})
	}
}

func serveSuite(t testing.TB, hub *anyws.Hub, m mode, bidir bool) (string, *http.Client) {
	srv := httptest.NewUnstartedServer(adapter.New(hub, &adapter.Options{Bidirectional: bidir}))
	client := startServer(t.(*testing.T), srv, m)
	return srv.URL + "/", client
}

func sseTransport(name string, m mode, bidir bool, uplink websocketsse.Uplink) suite.Transport {
	var clients sync.Map // URL → *http.Client speaking that server's protocol
	return suite.Transport{
		Name: name,
		Serve: func(t testing.TB, hub *anyws.Hub) string {
			url, c := serveSuite(t, hub, m, bidir)
			clients.Store(url, c)
			return url
		},
		Dial: func(ctx context.Context, t testing.TB, url string) (suite.Client, error) {
			c, _, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
				HTTPClient: clientFor(&clients, url),
				Uplink:     uplink,
				Reconnect:  websocketsse.Reconnect{MaxAttempts: -1},
			})
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		OneWay:           !bidir,
		NoGoodbye:        !bidir,
		CloseCodes:       true,
		ClientCloseCodes: bidir, // its goodbye carries them
	}
}

// rawTransport is crossws's WebSocketSSE stream mode: one long POST of
// type application/octet-stream whose chunks are text messages. Reading
// uses websocketsse; writing goes into the raw POST.
func rawTransport(name string, m mode) suite.Transport {
	var clients sync.Map // URL → *http.Client speaking that server's protocol
	return suite.Transport{
		Name: name,
		Serve: func(t testing.TB, hub *anyws.Hub) string {
			url, c := serveSuite(t, hub, m, true)
			clients.Store(url, c)
			return url
		},
		Dial: func(ctx context.Context, t testing.TB, url string) (suite.Client, error) {
			client := clientFor(&clients, url)
			c, resp, err := websocketsse.Dial(ctx, url, &websocketsse.DialOptions{
				HTTPClient: client,
				Reconnect:  websocketsse.Reconnect{MaxAttempts: -1},
			})
			if err != nil {
				return nil, err
			}
			pr, pw := io.Pipe()
			req, err := http.NewRequest(http.MethodPost, url, pr)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/octet-stream")
			req.Header.Set("X-Crossws-Id", resp.Header.Get("X-Crossws-Id"))
			done := make(chan error, 1)
			go func() {
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("raw uplink: %s", resp.Status)
					}
				}
				done <- err
			}()
			return &rawClient{Conn: c, pw: pw, done: done}, nil
		},
		CloseCodes: true,
		TextUplink: true,
		SyncWrites: true,
	}
}

func clientFor(clients *sync.Map, url string) *http.Client {
	c, _ := clients.Load(url)
	return c.(*http.Client)
}

type rawClient struct {
	*websocketsse.Conn
	pw   *io.PipeWriter
	done chan error // the POST's outcome; nobody needs to wait for it
}

func (c *rawClient) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	if typ != websocket.MessageText {
		return errors.New("raw uplink carries text only")
	}
	_, err := c.pw.Write(p)
	return err
}

// Close ends the uplink POST (the server answers it once the peer is
// gone) and the stream. The POST's goroutine ends with its response.
func (c *rawClient) Close(code websocket.StatusCode, reason string) error {
	_ = c.pw.Close()
	return c.Conn.Close(code, reason)
}

func (c *rawClient) CloseNow() error {
	_ = c.pw.CloseWithError(errors.New("closed"))
	return c.Conn.CloseNow()
}
