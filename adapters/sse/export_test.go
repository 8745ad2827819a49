package sse

import "time"

// Hooks into unexported code for the external tests and benchmarks.
var (
	EncodeFrame    = encodeFrame
	DecodeFramed   = decodeFramed
	CutUTF8        = cutUTF8
	ErrInvalidUTF8 = errInvalidUTF8
)

// NewUTF8Reader exposes the framed uplink's UTF-8 check.
func NewUTF8Reader(r interface{ Read([]byte) (int, error) }) *utf8Reader { return &utf8Reader{r: r} }

// SetForwardTimeout shortens how long h waits for the node holding a
// stream to answer a forwarded message. Call it before any traffic.
func SetForwardTimeout(h *Handler, d time.Duration) { h.tokens.fwd.timeout = d }
