package websocketsse

import (
	"net/http"

	"github.com/anyws/anyws/internal/sse"
)

// grants are what a stream's response says the server does for this
// client beyond crossws's protocol: an anyws server grants both, a
// crossws server neither.
type grants struct {
	// binaryEvents: binary messages come as binary events (binary.go).
	binaryEvents bool
	// shortIDs: message ids are the number alone; the claim is the
	// hello's key and the last number (internal/sse/shortids.go). Every
	// stream GET asks for them.
	shortIDs bool
}

func grantsOf(h http.Header) grants {
	return grants{
		binaryEvents: grantsBinaryEvents(h),
		shortIDs:     sse.HeaderSays(h, sse.ShortIDsHeader, sse.ShortIDs),
	}
}

// askShortIDs marks a stream request as coming from a client that claims
// with the hello's key and the last message's number.
func askShortIDs(h http.Header) { h.Set(sse.ShortIDsHeader, sse.ShortIDs) }
