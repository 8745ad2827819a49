package anyws

import (
	"errors"
	"fmt"

	"github.com/anyws/anyws/internal/closecode"
)

// StatusCode is a close code, with WebSocket's numbering (RFC 6455 section
// 7.4) on every transport, so a Close hook reads the same codes whether the
// peer used WebSocket or SSE.
type StatusCode int

// Close codes used by anyws. Applications may use 4000-4999 for their own.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001 // server shutdown, or the client navigated away
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	StatusNoStatusRcvd    StatusCode = 1005 // the client closed without a code
	StatusAbnormalClosure StatusCode = 1006 // the connection dropped without a close handshake
	StatusInvalidPayload  StatusCode = 1007 // invalid UTF-8 in a text message
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusInternalError   StatusCode = 1011 // a hook panicked
	StatusTryAgainLater   StatusCode = 1013 // the peer's send queue overflowed
	// StatusResumeFailed closes a peer whose client came back too late:
	// messages it missed were no longer kept. The client got a new peer.
	StatusResumeFailed StatusCode = 3001
)

// CloseInfo tells the Close hook why a peer closed.
type CloseInfo struct {
	// Code is the close code: the one the client sent, the one the server
	// closed with, or StatusAbnormalClosure when the connection dropped.
	Code StatusCode
	// Reason is the close reason text, if any.
	Reason string
	// Err is the network or protocol error that ended the peer, if any.
	Err error
	// Moved is true when the peer did not end but moved to another node,
	// where its client resumed it (its Resume hook runs there).
	Moved bool
}

func (c CloseInfo) String() string {
	if c.Err != nil {
		return fmt.Sprintf("%d %q: %v", c.Code, c.Reason, c.Err)
	}
	return fmt.Sprintf("%d %q", c.Code, c.Reason)
}

// ErrCloseCode is returned by Peer.Close for a code no transport can send.
var ErrCloseCode = errors.New("anyws: close code cannot be sent")

// Sendable reports whether a close message can carry c: 1000-1003,
// 1007-1014 and 3000-4999 (RFC 6455 section 7.4). The others are
// reserved (1004), only reported locally (1005, 1006, 1015), or out of
// range.
func (c StatusCode) Sendable() bool { return closecode.Sendable(int(c)) }

// sendableClose returns the close a client can be sent for code and
// reason: a code that cannot be sent becomes StatusInternalError (with
// an error wrapping ErrCloseCode), and a reason is cut to 123 bytes on
// a UTF-8 boundary (closecode.TrimReason).
func sendableClose(code StatusCode, reason string) (StatusCode, string, error) {
	var err error
	if !code.Sendable() {
		err = fmt.Errorf("%w: %d, closing with %d", ErrCloseCode, code, StatusInternalError)
		code = StatusInternalError
	}
	return code, closecode.TrimReason(reason), err
}
