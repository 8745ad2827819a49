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
