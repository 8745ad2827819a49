package recovery_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/anyws/anyws"
)

// failedClaims is a slog.Handler that passes each "anyws: peer opened"
// record of a failed resume claim (it carries anyws.LogReason) to
// report, with the node and the step that failed (anyws.LogDetail): the
// run's dump says why a client got a new peer.
type failedClaims struct {
	node   string
	report func(string)
}

func (f failedClaims) Enabled(context.Context, slog.Level) bool { return true }

func (f failedClaims) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "anyws: peer opened" {
		return nil
	}
	var reason, detail, id string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case anyws.LogReason:
			reason = a.Value.String()
		case anyws.LogDetail:
			detail = a.Value.String()
		case anyws.LogPeer:
			id = a.Value.String()
		}
		return true
	})
	if reason != "" {
		f.report(fmt.Sprintf("%s: peer %s opened after a failed claim (%s): %s", f.node, id, reason, detail))
	}
	return nil
}

func (f failedClaims) WithAttrs([]slog.Attr) slog.Handler { return f }
func (f failedClaims) WithGroup(string) slog.Handler      { return f }
