// Package closecode holds the rules of a WebSocket close frame (RFC 6455
// section 7.4), shared by the server (anyws.Peer.Close, the SSE
// goodbye) and the clients that send one (websocketsse's goodbye).
package closecode

import "unicode/utf8"

// MaxReason is the longest reason a close frame can carry, in bytes.
const MaxReason = 123

// Sendable reports whether a close frame can carry code: 1000-1003,
// 1007-1014 and 3000-4999. The others are reserved (1004), only
// reported locally (1005, 1006, 1015), or out of range.
func Sendable(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// TrimReason cuts reason to MaxReason bytes on a UTF-8 boundary.
func TrimReason(reason string) string {
	if len(reason) <= MaxReason {
		return reason
	}
	n := MaxReason
	for n > 0 && !utf8.RuneStart(reason[n]) {
		n--
	}
	return reason[:n]
}
