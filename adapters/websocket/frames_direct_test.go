package websocket_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestFramesDirect: the frames the adapter writes itself read back as
// sent at every length-encoding boundary (7-bit, 16-bit, 64-bit), text
// and binary, in order with the messages coder/websocket compresses on
// a connection with permessage-deflate (each of its two modes) and
// without it.
func TestFramesDirect(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 125, 126, 127, 511, 512, 1000, 65535, 65536, 70000}
	var want []anyws.Message
	for i, n := range sizes {
		text := bytes.Repeat([]byte{'a' + byte(i)}, n)
		bin := bytes.Repeat([]byte{byte(i), 0xff}, n/2+1)[:n]
		want = append(want, anyws.Text(string(text)), anyws.Binary(bin))
	}
	url, _, _ := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) {
			for _, m := range want {
				_ = p.Send(m)
			}
		},
	}, nil)
	for _, mode := range []websocket.CompressionMode{websocket.CompressionDisabled, websocket.CompressionNoContextTakeover, websocket.CompressionContextTakeover} {
		t.Run(fmt.Sprint("mode ", mode), func(t *testing.T) {
			t.Parallel()
			c, resp := dial(t, url, &websocket.DialOptions{CompressionMode: mode})
			if mode != websocket.CompressionDisabled {
				require.Contains(t, resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate", "compression negotiated")
			}
			c.SetReadLimit(-1)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			for i, m := range want {
				typ, b, err := c.Read(ctx)
				require.NoError(t, err, "message %d", i)
				wantTyp := websocket.MessageText
				if m.IsBinary() {
					wantTyp = websocket.MessageBinary
				}
				require.Equal(t, wantTyp, typ, "message %d (%d bytes)", i, m.Len())
				require.True(t, bytes.Equal(m.Bytes(), b), "message %d: %d bytes, got %d", i, m.Len(), len(b))
			}
		})
	}
}
