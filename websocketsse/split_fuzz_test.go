package websocketsse_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/anyws/anyws/internal/splitread"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// FuzzClientStreamSplit: wherever the network splits the event stream,
// the client's read path delivers the same messages (type and bytes),
// sees the same close event and ends with the same error.
func FuzzClientStreamSplit(f *testing.F) {
	for _, seed := range []string{
		"event: crossws-id\ndata: tok\n\nevent: message\ndata: hi\n\n",
		"event: message\ndata: data:application/octet-stream;base64,AAEC/w==\n\nevent: close\ndata: {\"code\":4001,\"reason\":\"bye\"}\n\ndata: after\n\n",
		"data: a\r\ndata: b\r\n\r\ndata: unterminated",
		"data: " + string(bytes.Repeat([]byte("a"), 100)) + "\n\n",
		"\xEF\xBB\xBFdata: \xf30\n\n",
	} {
		f.Add([]byte(seed), uint64(1))
	}
	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		if len(stream) > 1<<16 {
			t.Skip()
		}
		for _, limit := range []int{64, fuzzMax} {
			var want string
			for i, w := range splitread.Ways(stream, seed) {
				var b bytes.Buffer
				closed, err := websocketsse.ReadStream(w.New(), limit, func(typ websocket.MessageType, data []byte) {
					fmt.Fprintf(&b, "%v %q\n", typ, data)
				})
				fmt.Fprintf(&b, "close %v, err %v", closed, err)
				if i == 0 {
					want = b.String()
					continue
				}
				require.Equal(t, want, b.String(), "%s, limit %d", w.Name, limit)
			}
		}
	})
}
