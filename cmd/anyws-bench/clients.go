package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// subscriber is one client stream of events, whatever the transport and
// the implementation's wire format.
type subscriber struct {
	next  func(ctx context.Context) ([]byte, error)
	close func()
}

// dialSubscriber opens one stream. For sse-h2, hc must speak only h2c
// (newH2CClient): one TCP connection per stream, as one browser each.
func dialSubscriber(ctx context.Context, hc *http.Client, s *server, transport string) (*subscriber, error) {
	switch transport {
	case "websocket":
		c, err := dialImplWS(ctx, hc, s)
		if err != nil {
			return nil, err
		}
		if s.info.wire == wireCentrifuge {
			return centrifugeSubscriberWS(c), nil
		}
		return &subscriber{
			next: func(ctx context.Context) ([]byte, error) {
				_, b, err := c.Read(ctx)
				return b, err
			},
			close: func() { _ = c.CloseNow() },
		}, nil
	case "sse", "sse-h2":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("http", "/sse"), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "text/event-stream")
		// The stream outlives the dial context: detach it.
		req = req.WithContext(context.WithoutCancel(ctx))
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("anyws-bench: GET /sse: %s", resp.Status)
		}
		if transport == "sse-h2" && resp.ProtoMajor != 2 {
			resp.Body.Close()
			return nil, fmt.Errorf("anyws-bench: GET /sse over h2c answered %s", resp.Proto)
		}
		p := sse.NewParser(resp.Body, 1<<20)
		events := func(context.Context) ([]byte, error) {
			for {
				ev, err := p.Next()
				if err != nil || ev.Type == "message" {
					return ev.Data, err
				}
			}
		}
		sub := &subscriber{next: events, close: func() {
			_ = resp.Body.Close()
			if transport == "sse-h2" {
				hc.CloseIdleConnections() // its own connection
			}
		}}
		if s.info.wire == wireCentrifuge {
			// The connect push comes first: once it is read, the server
			// has subscribed the stream to the room.
			for {
				b, err := events(ctx)
				if err != nil {
					sub.close()
					return nil, fmt.Errorf("anyws-bench: centrifuge SSE connect: %w", err)
				}
				if bytes.HasPrefix(b, []byte(`{"connect":`)) {
					break
				}
			}
			r := &centrifugeReader{read: events}
			sub.next = r.next
		}
		return sub, nil
	}
	return nil, fmt.Errorf("anyws-bench: unknown transport %q", transport)
}

// dialImplWS opens a WebSocket to s and, for centrifuge, does its
// connect handshake.
func dialImplWS(ctx context.Context, hc *http.Client, s *server) (*websocket.Conn, error) {
	c, err := dialWS(ctx, hc, s.url("ws", "/ws"))
	if err != nil {
		return nil, err
	}
	if s.info.wire == wireCentrifuge {
		if err := centrifugeConnectWS(ctx, c); err != nil {
			_ = c.CloseNow()
			return nil, err
		}
	}
	return c, nil
}

// dialChat opens one chat client over transport ("websocket" or "sse":
// websocketsse with its framed streaming uplink).
func dialChat(ctx context.Context, hc *http.Client, s *server, transport string) (chatConn, error) {
	switch transport {
	case "websocket":
		c, err := dialImplWS(ctx, hc, s)
		if err != nil {
			return nil, err
		}
		if s.info.wire == wireCentrifuge {
			return newCentrifugeChat(c), nil
		}
		return c, nil
	case "sse":
		c, _, err := websocketsse.Dial(ctx, s.url("http", "/bsse"), &websocketsse.DialOptions{
			HTTPClient: hc, Uplink: websocketsse.UplinkStream,
			Reconnect: websocketsse.Reconnect{MaxAttempts: -1}, MaxQueuedMessages: 4096,
		})
		return c, err
	}
	return nil, fmt.Errorf("anyws-bench: unknown chat transport %q", transport)
}

// newH2CClient is an HTTP client that speaks only h2c, on its own TCP
// connection.
func newH2CClient() *http.Client {
	tr := &http.Transport{DialContext: dialLoopback, DisableCompression: true}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}
