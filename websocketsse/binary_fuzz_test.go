package websocketsse_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/anyws/anyws/internal/splitread"
	"github.com/anyws/anyws/internal/sse"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// FuzzBinaryEvents: on a stream whose server granted binary events, the
// type of a message is the event's, never its data's: every message
// event is text with its data unchanged (as an EventSource reads it),
// every binary event with valid base64 is binary with the decoded bytes,
// and the result does not depend on where the network splits the stream.
func FuzzBinaryEvents(f *testing.F) {
	for _, seed := range []string{
		"event: message\ndata: " + dataURLText + "\n\nevent: binary\ndata: aGk=\n\n",
		"event: binary\ndata: !!!\n\nevent: binary\ndata:\n\ndata: plain\n\n",
		"event: binary\ndata: aG\ndata: k=\n\nevent: close\ndata: {\"code\":4001}\n\n",
	} {
		f.Add([]byte(seed), uint64(1))
	}
	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		if len(stream) > 1<<16 {
			t.Skip()
		}
		// What an EventSource would hand over, event by event.
		var want bytes.Buffer
		p := sse.NewParser(bytes.NewReader(stream), fuzzMax)
		for {
			ev, err := p.Next()
			if err != nil {
				break
			}
			if ev.Type == "close" {
				break
			}
			switch ev.Type {
			case "message":
				fmt.Fprintf(&want, "%v %q\n", websocket.MessageText, ev.Data)
			case "binary":
				if b, err := sse.DecodeBinaryEvent(ev.Data); err == nil {
					fmt.Fprintf(&want, "%v %q\n", websocket.MessageBinary, b)
				}
			}
		}
		for _, w := range splitread.Ways(stream, seed) {
			var got bytes.Buffer
			_, _ = websocketsse.ReadBinaryEventStream(w.New(), fuzzMax, func(typ websocket.MessageType, data []byte) {
				fmt.Fprintf(&got, "%v %q\n", typ, data)
			})
			require.Equal(t, want.String(), got.String(), w.Name)
		}
	})
}
