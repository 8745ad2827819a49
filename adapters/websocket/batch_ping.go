package websocket

// pingFrame is a ping with no payload (a server's frames are unmasked).
var pingFrame = []byte{0x80 | opPing, 0}

// writePing writes a ping straight to the connection (keepalive.go),
// between the connection's other writes: batchConn's lock is held for
// each, and outside a batch coder/websocket writes whole control frames
// only; inside one, the ping goes ahead of the batch, as coder's control
// frames do. Nothing may follow a close frame, so after one it writes
// nothing. Its deadline is the connection's write timeout (dl).
func (c *batchConn) writePing() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent.Load() {
		return nil
	}
	_, err := c.dl.Write(c.Conn, c.timeout, pingFrame)
	return err
}

// writePong answers a client's ping (idlewait.go's answerPings) as
// writePing writes a ping: straight to the connection, ahead of an open
// batch, never after a close frame. payload is at most 125 bytes.
func (c *batchConn) writePong(payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent.Load() {
		return nil
	}
	frame := append([]byte{0x80 | opPong, byte(len(payload))}, payload...)
	_, err := c.dl.Write(c.Conn, c.timeout, frame)
	return err
}
