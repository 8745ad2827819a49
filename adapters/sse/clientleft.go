package sse

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/anyws/anyws"
)

// clientLeft marks a failed write to a hijacked HTTP/1.1 stream whose
// client had closed the connection (a broken pipe, or a reset answering
// a write after its FIN) as anyws.ErrClientLeft: SSE has no close
// handshake, so that is a client leaving (1001, as when the reader sees
// the end first), not a lost connection (1006). A write that timed out
// stays a failure.
func clientLeft(err error) error {
	if err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
		return fmt.Errorf("%w: %w", anyws.ErrClientLeft, err)
	}
	return err
}
