package websocketsse_test

import (
	"net"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestCloseSaysGoodbye: against a server that keeps peers for a resume,
// Close sends its code and reason, and the peer closes at once with them
// (instead of waiting out the hour-long resume window).
func TestCloseSaysGoodbye(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			closed := make(chan anyws.CloseInfo, 1)
			s := serveEchoHub(t, m, &anyws.Options{ResumeWindow: time.Hour}, &sse.Options{Hooks: anyws.Hooks{
				Close: func(_ *anyws.Peer, ci anyws.CloseInfo) { closed <- ci },
			}}, nil)
			c := s.dial(t, nil)
			ctx := ctxT(t)
			require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
			require.NoError(t, c.Close(4001, "done"))
			ci := recv(t, closed)
			require.Equal(t, anyws.StatusCode(4001), ci.Code)
			require.Equal(t, "done", ci.Reason)
			require.ErrorIs(t, c.Close(websocket.StatusNormalClosure, ""), net.ErrClosed)
		})
	}
}
