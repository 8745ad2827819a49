package sse

import "strings"

// Short ids (anyws): every event of a resumable stream carries its
// position as its id, and by default that id is the whole claim,
// "<key>:<n>", since a browser's EventSource sends back the last id it
// saw and nothing else. The key is the same on every event, though, and
// for a chat of short messages it was more than half of each event's
// bytes. A client that can remember the key itself (anyws's Go clients)
// asks for short ids: its stream GET carries ShortIDsHeader with the
// value ShortIDs; an anyws server that honours it answers with the same
// header, keeps the full claim on the hello event, and gives each
// message only "<n>". The client then claims with the hello's key and the
// last number (ShortIDClaim). Clients that do not ask, and streams whose
// response lacks the header, get full ids.
const (
	// ShortIDsHeader is the request header that asks for short ids and
	// the response header that grants them.
	ShortIDsHeader = "X-Anyws-Ids"
	// ShortIDs is ShortIDsHeader's value.
	ShortIDs = "short"
)

// ShortIDClaim returns the claim a client with short ids sends as
// Last-Event-ID: last itself when it is a full claim (the hello's id, or
// a stream without short ids), else the key of the hello's claim hello
// and last. It returns "" when there is nothing to claim.
func ShortIDClaim(hello, last string) string {
	if last == "" || strings.Contains(last, ":") {
		return last
	}
	i := strings.LastIndexByte(hello, ':')
	if i < 0 {
		return ""
	}
	return hello[:i+1] + last
}
