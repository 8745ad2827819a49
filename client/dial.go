package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// Dial connects to an anyws server at u (ws://, wss://, http:// or
// https://) and returns the Conn and the response of the request that
// opened it: the 101 of the WebSocket handshake, or the 200 of the SSE
// stream. With TransportAuto it tries WebSocket first and falls back to
// SSE (see the package doc for when); the Conn says which transport it
// uses and why WebSocket was not.
//
// ctx bounds the dial only, as in websocket.Dial. When Dial fails because
// of the server's answer, the response is returned with the error.
func Dial(ctx context.Context, u string, opts *Options) (*Conn, *http.Response, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	wsOpts, sseOpts := o.transportOptions()
	switch o.Transport {
	case TransportWebSocket:
		c, resp, err := dialWebSocket(ctx, u, &wsOpts, o.reconnect())
		return c, resp, err
	case TransportSSE:
		return dialSSE(ctx, u, &sseOpts, nil)
	case TransportAuto:
	default:
		return nil, nil, fmt.Errorf("client: unknown transport %q: use TransportAuto, TransportWebSocket or TransportSSE", o.Transport)
	}

	timeout := o.WebSocketTimeout
	if timeout <= 0 {
		timeout = defaultWebSocketTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	c, resp, wsErr := dialWebSocket(wctx, u, &wsOpts, o.reconnect())
	cancel()
	if wsErr == nil {
		return c, resp, nil
	}
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("client: dial %s: %w", u, ctx.Err())
	}
	var he *HandshakeError
	if errors.As(wsErr, &he) && final(he.StatusCode) {
		return nil, resp, wsErr
	}
	return dialSSE(ctx, u, &sseOpts, wsErr)
}

// dialWebSocket dials a resuming WebSocket (resume.go), or a plain one
// when reconnection is off.
func dialWebSocket(ctx context.Context, u string, opts *websocket.DialOptions, pol websocketsse.Reconnect) (*Conn, *http.Response, error) {
	if pol.MaxAttempts < 0 {
		c, resp, err := dialWS(ctx, u, opts)
		if err != nil {
			return nil, resp, err
		}
		return &Conn{c: c, ws: c, transport: TransportWebSocket}, resp, nil
	}
	rc, resp, err := dialResume(ctx, u, opts, pol)
	if err != nil {
		return nil, resp, err
	}
	return &Conn{c: rc, rws: rc, transport: TransportWebSocket}, resp, nil
}

// dialWS does one WebSocket handshake.
func dialWS(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	c, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			err = &HandshakeError{StatusCode: resp.StatusCode, Status: resp.Status, Err: err}
		} else if ctx.Err() != nil {
			err = fmt.Errorf("client: WebSocket handshake: %w", ctx.Err())
		} else {
			err = fmt.Errorf("client: WebSocket: %w", err)
		}
		return nil, resp, err
	}
	return c, resp, nil
}

// dialSSE opens the SSE stream; wsErr is why WebSocket was not used.
func dialSSE(ctx context.Context, u string, opts *websocketsse.DialOptions, wsErr error) (*Conn, *http.Response, error) {
	c, resp, err := websocketsse.Dial(ctx, u, opts)
	if err != nil {
		if wsErr != nil {
			err = fmt.Errorf("client: WebSocket failed (%v), then SSE failed: %w", wsErr, err)
		}
		return nil, resp, err
	}
	return &Conn{c: c, sse: c, transport: TransportSSE, wsErr: wsErr}, resp, nil
}
