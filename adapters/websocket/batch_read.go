package websocket

// Read is what coder/websocket reads through: its Accept resets the
// hijacked bufio.Reader to read from the connection it returned, this
// batchConn, so the lazyReader (lazyread.go) sits here.
func (c *batchConn) Read(p []byte) (int, error) {
	if c.lazy != nil {
		return c.lazy.Read(p)
	}
	return c.Conn.Read(p)
}
