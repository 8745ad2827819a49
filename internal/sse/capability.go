package sse

import (
	"net/http"
	"strings"
)

// HeaderSays reports whether h's header name holds value, case and
// surrounding spaces aside. anyws's capability headers (BinaryEventsHeader,
// ShortIDsHeader) are read so both ways: a client's request asks with
// one, and the server's response grants it with the same.
func HeaderSays(h http.Header, name, value string) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get(name)), value)
}
