package client

import (
	"fmt"
	"net/http"
)

// HandshakeError is a WebSocket handshake the server answered with a
// status other than 101 Switching Protocols. Dial returns it for 401 and
// 403, and Conn.WebSocketError reports it when another status made Dial
// fall back to SSE. Test for it with errors.As.
type HandshakeError struct {
	StatusCode int    // the HTTP status, 401 for example
	Status     string // "401 Unauthorized"
	Err        error  // coder/websocket's error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("client: WebSocket handshake answered %s: %v", e.Status, e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// final reports whether status refuses the client on every transport, so
// that falling back would only repeat the refusal.
func final(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}
