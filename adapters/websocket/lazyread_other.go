//go:build !unix

package websocket

// waitReadable cannot wait without a buffer here: the read that follows
// blocks holding a chunk, as a bufio.Reader would.
func (l *lazyReader) waitReadable() error { return nil }
