package websocketsse_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

const fuzzMax = 1024

// FuzzClientStream feeds arbitrary bytes to the client's read path: it
// must never panic, deliver a message bigger than MaxEventSize, or end
// without saying why.
func FuzzClientStream(f *testing.F) {
	for _, seed := range []string{
		"event: crossws-id\ndata: tok\n\nevent: message\ndata: hi\n\n",
		"data: a\ndata: b\r\n\r\n",
		"event: message\ndata: data:application/octet-stream;base64,AAEC/w==\n\n",
		"event: message\ndata: data:application/octet-stream;base64,!!!\n\n",
		"event: close\ndata: {\"code\":4001,\"reason\":\"bye\"}\n\n",
		"event: close\ndata: not json\n\n",
		"retry: 10\nid: 7\n\n: comment\n\xEF\xBB\xBFdata: x\n\n",
		"data: " + strings.Repeat("a", 2*fuzzMax) + "\n\n",
		strings.Repeat("data: aaaaaaaa\n", 300),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		closed, err := websocketsse.ReadStream(bytes.NewReader(stream), fuzzMax, func(typ websocket.MessageType, data []byte) {
			if len(data) > fuzzMax {
				t.Fatalf("message of %d bytes exceeds MaxEventSize %d", len(data), fuzzMax)
			}
			if typ != websocket.MessageText && typ != websocket.MessageBinary {
				t.Fatalf("bad message type %v", typ)
			}
		})
		if closed == nil && err == nil {
			t.Fatal("the read path ended without a reason")
		}
	})
}

// endless is a hostile stream that never ends: its pattern repeated
// forever. It counts what was read from it.
type endless struct {
	pattern []byte
	read    int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e.pattern[(e.read+n)%len(e.pattern):])
	}
	e.read += n
	return n, nil
}

func TestHostileStreamIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	for _, tc := range []struct {
		name, prefix, pattern string
		held, read            int // bytes held per bytes read of pattern
	}{
		{"one endless line", "data: ", "a", 1, 1},
		{"endless data lines, no blank line", "", "data: 0123456789abcdef\n", 17, 23},
		{"endless garbage line", "", "xxxxxxxxxxxxxxxx", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &endless{pattern: []byte(tc.pattern)}
			_, err := websocketsse.ReadStream(io.MultiReader(strings.NewReader(tc.prefix), r), limit, func(websocket.MessageType, []byte) {
				t.Fatal("no message may be delivered")
			})
			require.ErrorIs(t, err, websocket.ErrMessageTooBig)
			// The client stops once it holds the limit (plus the parser's
			// line slack): what it read is that much stream, plus at most
			// its read buffer.
			require.LessOrEqual(t, r.read, (limit+64)*tc.read/tc.held+2*4096)
		})
	}
}

func TestHostileStreamOverNetwork(t *testing.T) {
	t.Parallel()
	s := &standin{get: func(_ int, w http.ResponseWriter, r *http.Request) {
		openStream(w, "tok", 0)
		line := []byte("data: " + strings.Repeat("a", 4096) + "\n")
		for r.Context().Err() == nil {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}}
	url, client := serveStandin(t, s)
	c, _, err := websocketsse.Dial(ctxT(t), url, &websocketsse.DialOptions{HTTPClient: client, MaxEventSize: 32 << 10})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctxT(t))
	require.True(t, errors.Is(err, websocket.ErrMessageTooBig), "%v", err)
}
