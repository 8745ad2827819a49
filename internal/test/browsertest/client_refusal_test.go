package browsertest_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/stretchr/testify/require"
)

// settled is what window.untilSettled returns.
type settled struct {
	Events []string
	Errors []struct {
		Message string
		Status  int
	}
	ReadyState int
	Close      struct {
		Code          int
		Reason        string
		Status        int
		WillReconnect bool
	}
}

// refusingHub refuses every connection with status from its Upgrade
// hook, counting the attempts per transport.
func refusingHub(t *testing.T, status int) (*anyws.Hub, *[2]atomic.Int32) {
	var tries [2]atomic.Int32 // websocket, sse
	hub := anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			if u.Transport() == "websocket" {
				tries[0].Add(1)
			} else {
				tries[1].Add(1)
			}
			return anyws.Reject(status, "anyws test: no entry")
		},
	}, nil)
	t.Cleanup(func() { shutdown(t, hub) })
	return hub, &tries
}

// TestClientRefused (issue 12): a server that refuses the connection
// with 401, 403 or 404 ends the client at once, with no retry: close
// fires with code 4000 + status, the server's text as reason and
// event.status, and the server saw one attempt per transport tried.
// Before, the client retried forever and never showed the status.
func TestClientRefused(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		for _, tc := range []struct {
			transport string
			ws, sse   int32 // attempts the server sees
		}{
			{"auto", 1, 1},
			{"sse", 0, 1},
		} {
			t.Run(fmt.Sprintf("%d/%s", status, tc.transport), func(t *testing.T) {
				t.Parallel()
				hub, tries := refusingHub(t, status)
				srv := serve(t, mux(auto.New(hub, nil)), false)
				ctx := browsertest.Tab(t)
				browsertest.Navigate(t, ctx, srv.URL+"/")
				var res settled
				browsertest.Eval(t, ctx, `untilSettled(['/_ws', {transport: `+js(tc.transport)+`, minDelay: 50}])`, &res)
				require.Equal(t, []string{fmt.Sprintf("close:%d", 4000+status)}, res.Events, "the client closed for good instead of retrying")
				require.Equal(t, status, res.Close.Status)
				require.Equal(t, "anyws test: no entry", res.Close.Reason)
				require.False(t, res.Close.WillReconnect)
				require.Equal(t, 3, res.ReadyState)
				require.Len(t, res.Errors, 1)
				require.Equal(t, status, res.Errors[0].Status)
				require.Contains(t, res.Errors[0].Message, fmt.Sprint(status))
				require.Equal(t, tc.ws, tries[0].Load(), "WebSocket attempts")
				require.Equal(t, tc.sse, tries[1].Load(), "event-stream attempts")
			})
		}
	}
}

// TestClientMaxAttempts: a server that answers 503 (retried) gets
// maxAttempts reconnections, then the client closes for good.
func TestClientMaxAttempts(t *testing.T) {
	t.Parallel()
	hub, tries := refusingHub(t, http.StatusServiceUnavailable)
	srv := serve(t, mux(auto.New(hub, nil)), false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")
	var res struct {
		Events     []string
		ReadyState int
	}
	browsertest.Eval(t, ctx, `attempts(['/_ws', {transport: 'sse', minDelay: 20, maxDelay: 50, maxAttempts: 2}])`, &res)
	require.Equal(t, []string{
		"error:503", "reconnecting:1",
		"error:503", "reconnecting:2",
		"error:503", "close:1006",
	}, res.Events)
	require.Equal(t, 3, res.ReadyState)
	require.Equal(t, int32(3), tries[1].Load())
}
