package websocketsse_test

import (
	"testing"

	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// dataURLText is a text message that looks like crossws's binary data
// URL (issue 16 item 10).
const dataURLText = "data:application/octet-stream;base64,aGk="

// TestTextLikeDataURL: from an anyws server, a text message that looks
// like crossws's binary data URL arrives as that text, and binary still
// arrives as binary, over every HTTP flavour and uplink.
func TestTextLikeDataURL(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode, up websocketsse.Uplink) {
		s := serveEcho(t, m, nil, nil)
		c := s.dial(t, &websocketsse.DialOptions{Uplink: up})
		ctx := ctxT(t)
		for _, tc := range []struct {
			typ  websocket.MessageType
			data string
		}{
			{websocket.MessageText, dataURLText},
			{websocket.MessageBinary, "hi"},
			{websocket.MessageText, "data:application/octet-stream;base64,"},
			{websocket.MessageBinary, dataURLText},
			{websocket.MessageBinary, ""},
		} {
			require.NoError(t, c.Write(ctx, tc.typ, []byte(tc.data)))
			typ, got, err := c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.typ, typ, "echo of %v %q", tc.typ, tc.data)
			require.Equal(t, tc.data, string(got))
		}
		require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	})
}

// TestCrosswsDataURL: a crossws server grants no binary events, so
// websocketsse reads its data URLs as crossws's clients do: a text that
// another crossws peer publishes looking like one arrives as binary.
// That is crossws's protocol, not something a client can undo.
func TestCrosswsDataURL(t *testing.T) {
	t.Parallel()
	s := nodetest.StartCrossws(t)
	a, _ := dialCrossws(t, s, websocketsse.UplinkPerMessage)
	b, _ := dialCrossws(t, s, websocketsse.UplinkPerMessage)
	require.NoError(t, a.Write(ctxT(t), websocket.MessageText, []byte(dataURLText)))
	requireText(t, a, "echo:"+dataURLText)
	typ, got, err := b.Read(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, "hi", string(got))
	require.NoError(t, a.Close(websocket.StatusNormalClosure, ""))
	require.NoError(t, b.Close(websocket.StatusNormalClosure, ""))
}
