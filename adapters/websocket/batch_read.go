package websocket

// Read is what coder/websocket reads through: its Accept resets the
// hijacked bufio.Reader to read from the connection it returned, this
// batchConn, so the lazyReader (lazyread.go) sits here.
func (c *batchConn) Read(p []byte) (int, error) {
	if c.c.lazyRead {
		return c.c.lazy.read(c.Conn, p)
	}
	return c.Conn.Read(p)
}
