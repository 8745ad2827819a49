package sse

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/closecode"
	"github.com/anyws/anyws/internal/sse"
)

// A client's goodbye. An SSE client cannot send a close frame: when it
// closes its EventSource the server sees the stream end like a dropped
// connection, and with recovery on it would keep the peer for the resume
// window. anyws's clients therefore POST a goodbye first: a POST with
// the X-Anyws-Leave header, whose value is the close code (the one the
// client's Close was given) and whose body is the reason. The peer then
// closes at once, and its Close hook sees that code and reason.

// leaveInfo reads a goodbye POST: ok is false when r is not one, err is
// an *uplinkError (400) when it is malformed.
func leaveInfo(r *http.Request, body io.Reader) (info anyws.CloseInfo, ok bool, err error) {
	v := r.Header.Get(sse.LeaveHeader)
	if v == "" {
		return info, false, nil
	}
	code, perr := strconv.ParseUint(v, 10, 16)
	if perr != nil || !anyws.StatusCode(code).Sendable() {
		return info, true, &uplinkError{status: http.StatusBadRequest, msg: fmt.Sprintf("anyws: the %s header must be a close code a close frame can carry (1000-1003, 1007-1014, 3000-4999), not %.16q", sse.LeaveHeader, v)}
	}
	reason, rerr := io.ReadAll(io.LimitReader(body, closecode.MaxReason+1))
	switch {
	case rerr != nil:
		return info, true, &uplinkError{status: http.StatusBadRequest, msg: "anyws: reading the goodbye's reason failed", err: rerr}
	case len(reason) > closecode.MaxReason || !utf8.Valid(reason):
		return info, true, &uplinkError{status: http.StatusBadRequest, msg: fmt.Sprintf("anyws: a goodbye's reason must be UTF-8 of at most %d bytes", closecode.MaxReason)}
	}
	return anyws.CloseInfo{Code: anyws.StatusCode(code), Reason: string(reason)}, true, nil
}
