package sse

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/anyws/anyws/internal/sse"
)

// Uplink sequence numbers make the uplink exactly-once across a dropped
// connection. A client numbers its messages 1, 2, 3, … per peer (a new
// peer starts again at 1, a resumed one goes on) and, when a POST fails
// without an answer, sends it again with the same number once its stream
// is back: the Hub's Session.Deliver drops a number it delivered
// already. A per-message POST carries its number in the X-Anyws-Seq
// header, a framed uplink's event in its id field; crossws's clients send
// neither, and their messages are delivered as they come (0: not
// numbered).

// uplinkSeq reads the sequence number of a per-message POST: 0 when it
// has none, an *uplinkError (400) when it is malformed.
func uplinkSeq(r *http.Request) (uint64, error) {
	v := r.Header.Get(sse.SeqHeader)
	if v == "" {
		return 0, nil
	}
	seq, err := parseSeq(v)
	if err != nil {
		return 0, &uplinkError{status: http.StatusBadRequest, msg: fmt.Sprintf("anyws: the %s header must be the message's sequence number (1, 2, 3, … per peer), not %.64q", sse.SeqHeader, v)}
	}
	return seq, nil
}

// parseSeq parses a sequence number: decimal digits only, 1 or more.
func parseSeq(s string) (uint64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	if err == nil && seq == 0 {
		err = strconv.ErrRange
	}
	return seq, err
}
