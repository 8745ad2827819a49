package websocket_test

import (
	"context"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// A received message holds no more memory than its bytes: the Message
// hook may keep it (a publish queues it for every subscriber), and
// coder/websocket's Read gave a short message a 512-byte buffer.
func TestReceivedMessageIsExactSize(t *testing.T) {
	t.Parallel()
	type got struct{ len, cap int }
	msgs := make(chan got, 4)
	url, _, _ := serveWS(t, anyws.Hooks{Message: func(p *anyws.Peer, m anyws.Message) {
		msgs <- got{len(m.Bytes()), cap(m.Bytes())}
		_ = p.Send(m)
	}}, nil)
	c, _ := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, n := range []int{25, 3000, 100 << 10} {
		payload := strings.Repeat("a", n)
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(payload)))
		c.SetReadLimit(1 << 20)
		_, echo, err := c.Read(ctx)
		require.NoError(t, err, "waiting for the echo of %d bytes", n)
		require.Equal(t, payload, string(echo))
		g := <-msgs
		require.Equal(t, n, g.len)
		if n <= 64<<10 {
			require.Equal(t, n, g.cap, "a message of %d bytes holds %d", n, g.cap)
		}
	}
}
