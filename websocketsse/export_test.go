package websocketsse

import (
	"io"

	"github.com/coder/websocket"
)

// ReadStream runs the Conn's read path over r for tests: onMessage gets
// each message; it returns the server's close, if any, and what ended r.
func ReadStream(r io.Reader, maxEventSize int, onMessage func(websocket.MessageType, []byte)) (*websocket.CloseError, error) {
	res := readStream(r, maxEventSize, grants{}, funcEvents(onMessage))
	return res.closed, res.err
}

type funcEvents func(websocket.MessageType, []byte)

func (f funcEvents) token(string) {}

func (f funcEvents) hello([]byte) {}

func (f funcEvents) mark([]byte) {}

func (f funcEvents) message(m message) bool {
	f(m.typ, m.data)
	return true
}
