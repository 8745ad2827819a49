package sse

// Hooks into unexported code for the external tests and benchmarks.
var (
	EncodePayload  = encodePayload
	DecodeFramed   = decodeFramed
	CutUTF8        = cutUTF8
	ErrInvalidUTF8 = errInvalidUTF8
)

// NewUTF8Reader exposes the framed uplink's UTF-8 check.
func NewUTF8Reader(r interface{ Read([]byte) (int, error) }) *utf8Reader { return &utf8Reader{r: r} }
