package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Peer.Close with a code WebSocket cannot carry, or a reason longer than
// a close frame holds, still sends a close frame, and the Close hook
// reports what was sent (issue 16, item 9): the client used to get a
// bare EOF while the hook reported the requested code.
func TestCloseCodeNotSendable(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100) // 200 bytes
	for _, tc := range []struct {
		code   anyws.StatusCode
		reason string
		want   anyws.StatusCode
		wantR  string
		bad    bool
	}{
		{999, "x", anyws.StatusInternalError, "x", true},
		{1004, "x", anyws.StatusInternalError, "x", true},
		{1005, "x", anyws.StatusInternalError, "x", true},
		{1006, "x", anyws.StatusInternalError, "x", true},
		{1015, "x", anyws.StatusInternalError, "x", true},
		{5000, "x", anyws.StatusInternalError, "x", true},
		{4001, long, 4001, strings.Repeat("é", 61), false},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			errs := make(chan error, 1)
			url, _, closes := serveWS(t, anyws.Hooks{
				Open: func(p *anyws.Peer) { errs <- p.Close(tc.code, tc.reason) },
			}, nil)
			c, _ := dial(t, url, nil)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			_, _, err := c.Read(ctx)
			var ce websocket.CloseError
			require.True(t, errors.As(err, &ce), "the client got a close frame: %v", err)
			require.Equal(t, websocket.StatusCode(tc.want), ce.Code)
			require.Equal(t, tc.wantR, ce.Reason)
			require.True(t, utf8.ValidString(ce.Reason))
			info := waitClose(t, closes).info
			require.Equal(t, tc.want, info.Code, "the Close hook reports the code sent")
			require.Equal(t, tc.wantR, info.Reason, "the Close hook reports the reason sent")
			if err := <-errs; tc.bad {
				require.ErrorIs(t, err, anyws.ErrCloseCode)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// A protocol error closes with 1002, and the Close hook says so (issue
// 16, item 9): it used to report 1006.
func TestProtocolErrorReported(t *testing.T) {
	t.Parallel()
	url, _, closes := serveWS(t, anyws.Hooks{}, nil)
	c := dialRaw(t, url)
	require.NoError(t, c.writeFrame(0x3, []byte("reserved opcode")))
	op, payload, err := c.readFrame()
	require.NoError(t, err)
	require.Equal(t, byte(0x8), op)
	require.Equal(t, closePayload(1002, "")[:2], payload[:2])
	require.Equal(t, anyws.StatusProtocolError, waitClose(t, closes).info.Code)
}
