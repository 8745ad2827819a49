package websocket_test

import (
	"context"
	"testing"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestNamedEventIsAMessage: WebSocket has no event names; a client gets
// an anyws.Event's data as an ordinary message, text or binary.
func TestNamedEventIsAMessage(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{
		Open: func(p *anyws.Peer) {
			_ = p.Send(anyws.Event{Name: "ping", Data: "text", Comment: "dropped"})
			_ = p.Send(anyws.Event{Name: "bin", Data: []byte{1, 2}})
		},
	}, nil)
	c, _ := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, data, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	require.Equal(t, "text", string(data))
	typ, data, err = c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, []byte{1, 2}, data)
}
