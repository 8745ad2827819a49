package sse

import (
	"errors"
	"time"

	"github.com/anyws/anyws"
)

// Hooks into unexported code for the external tests and benchmarks.
var (
	EncodePayload  = encodePayload
	CutUTF8        = cutUTF8
	ErrInvalidUTF8 = errInvalidUTF8
	ErrInvalidText = errInvalidText
)

// DecodeFramed exposes the framed uplink decoder, leaving the events'
// sequence numbers out.
func DecodeFramed(body interface{ Read([]byte) (int, error) }, maxMessage int, deliver func(anyws.Message) error) error {
	return decodeFramed(body, maxMessage, func(m anyws.Message, _ uint64) error { return deliver(m) })
}

// DecodeFramedSeq exposes the framed uplink decoder with each event's
// sequence number.
func DecodeFramedSeq(body interface{ Read([]byte) (int, error) }, maxMessage int, deliver func(anyws.Message, uint64) error) error {
	return decodeFramed(body, maxMessage, deliver)
}

// NewUTF8Reader exposes the framed uplink's UTF-8 check.
func NewUTF8Reader(r interface{ Read([]byte) (int, error) }) *utf8Reader { return &utf8Reader{r: r} }

// DecodeRaw exposes crossws's raw stream decoder with its read buffer
// sizes: small while waiting, big after a read that filled the small one.
func DecodeRaw(body interface{ Read([]byte) (int, error) }, small, big int, deliver func(anyws.Message) error) error {
	return decodeRaw(body, small, big, deliver)
}

// UplinkStatus is the HTTP status an uplink error is answered with, 0 for
// an error that is not an uplink error.
func UplinkStatus(err error) int {
	var ue *uplinkError
	if errors.As(err, &ue) {
		return ue.status
	}
	return 0
}

// SetForwardProbeEvery makes forwarded streaming uplinks ask their owner
// node more often, for tests; it returns the previous value.
func SetForwardProbeEvery(d time.Duration) time.Duration {
	old := forwardProbeEvery
	forwardProbeEvery = d
	return old
}

// SetForwardTimeout shortens how long h waits for the node holding a
// stream to answer a forwarded message. Call it before any traffic.
func SetForwardTimeout(h *Handler, d time.Duration) { h.tokens.fwd.timeout = d }
