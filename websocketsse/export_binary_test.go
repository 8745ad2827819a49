package websocketsse

import (
	"io"

	"github.com/coder/websocket"
)

// ReadBinaryEventStream is ReadStream for a stream whose server granted
// binary events (binary.go).
func ReadBinaryEventStream(r io.Reader, maxEventSize int, onMessage func(websocket.MessageType, []byte)) (*websocket.CloseError, error) {
	res := readStream(r, maxEventSize, grants{binaryEvents: true}, funcEvents(onMessage))
	return res.closed, res.err
}
