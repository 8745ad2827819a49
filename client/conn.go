package client

import (
	"context"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
)

// transportConn is what websocket.Conn and websocketsse.Conn share.
type transportConn interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
	CloseNow() error
	Subprotocol() string
}

// Conn is a connection over WebSocket or bidirectional SSE, with
// coder/websocket's method set: message types, close codes and errors are
// coder/websocket's on both transports (websocket.CloseStatus works).
// Read and Write may be called concurrently with each other, as with a
// websocket.Conn.
type Conn struct {
	c         transportConn
	ws        *websocket.Conn // plain WebSocket (reconnection off)
	rws       *resumeConn     // resuming WebSocket
	sse       *websocketsse.Conn
	transport Transport
	wsErr     error
}

// Read reads the next message. See websocket.Conn.Read.
func (c *Conn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	return c.c.Read(ctx)
}

// Write sends one message. See websocket.Conn.Write; over SSE see
// websocketsse.Conn.Write for when the server's verdict is known.
func (c *Conn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	return c.c.Write(ctx, typ, p)
}

// Close closes the connection with a code and a reason. Over SSE, which
// has no client close frame, the server sees the client leave (1001)
// instead; see websocketsse.Conn.Close.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	return c.c.Close(code, reason)
}

// CloseNow closes the connection without a close handshake.
func (c *Conn) CloseNow() error { return c.c.CloseNow() }

// Subprotocol is the sub-protocol the server chose ("" over SSE, which
// has none).
func (c *Conn) Subprotocol() string { return c.c.Subprotocol() }

// Transport is the transport in use: TransportWebSocket or TransportSSE.
func (c *Conn) Transport() Transport { return c.transport }

// WebSocketError is why WebSocket is not in use: a *HandshakeError when
// the server (or a proxy) answered the handshake with another status, or
// the network error, or context.DeadlineExceeded after
// Options.WebSocketTimeout. It is nil over WebSocket, and when Options
// chose SSE.
func (c *Conn) WebSocketError() error { return c.wsErr }

// WebSocket returns the underlying websocket.Conn (for Ping or
// SetReadLimit, say): the current one when the Conn reconnects by
// itself (nil while it reconnects), and nil over SSE.
func (c *Conn) WebSocket() *websocket.Conn {
	if c.rws != nil {
		return c.rws.conn()
	}
	return c.ws
}

// ResumeStatus says how the Conn survived its dropped connections so
// far: how many times it resumed its peer, how many of those recovered
// it on another node after its node died, and how many messages it
// wrote were dropped then rather than sent twice (see ResumeStatus). It
// is the zero value over SSE and for a plain WebSocket (reconnection
// off).
func (c *Conn) ResumeStatus() ResumeStatus {
	if c.rws != nil {
		return c.rws.resumeStatus()
	}
	return ResumeStatus{}
}

// SSE returns the underlying websocketsse.Conn, or nil over WebSocket.
func (c *Conn) SSE() *websocketsse.Conn { return c.sse }
