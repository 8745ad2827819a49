package sse

import (
	"errors"
	"net/http"

	"github.com/anyws/anyws"
)

// Deliver forwards m to the node holding the stream (forward.go) and
// counts the answer the client gets in the Hub's Metrics.
func (rt *remoteTarget) Deliver(m anyws.Message, seq uint64) error {
	err := rt.deliver(m, seq)
	if x := rt.f.hub.Metrics(); x != nil {
		x.UplinkForwarded(forwardStatus(err))
	}
	return err
}

// forwardStatus is the HTTP status a forwarded message's answer gives
// the client.
func forwardStatus(err error) int {
	var ue *uplinkError
	switch {
	case err == nil:
		return http.StatusNoContent
	case errors.As(err, &ue):
		return ue.status
	case errors.Is(err, anyws.ErrClosed):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}
