package websocket

import (
	"encoding/binary"
	"net"
)

// Data frames written by the adapter itself. coder/websocket's Write
// costs a context with a deadline, two lock handoffs and a timer per
// message, which at low rates were a quarter of a delivery's CPU (issue
// 15), for what is, for a server, a header of 2 to 10 bytes before the
// payload (RFC 6455 §5.2: FIN, the opcode, no mask, the length). So
// peerConn appends a message's frame straight to the open batch, under
// batchConn's lock, which orders it with every frame coder/websocket
// writes (a control frame goes out ahead of the batch as before; after a
// close frame nothing more is appended). Messages that coder/websocket
// would compress (permessage-deflate negotiated and a payload of at
// least compressionThreshold bytes) still go through it; smaller ones go
// uncompressed, as it sends them too (RFC 7692 allows either per
// message).

// compressionThreshold is the smallest payload compressed when
// permessage-deflate is on: coder/websocket's default for
// CompressionNoContextTakeover, set explicitly so both sides of the
// choice agree.
const compressionThreshold = 512

const (
	opText   = 0x1
	opBinary = 0x2
	finBit   = 0x80
)

// appendFrame appends an unmasked, unfragmented server data frame.
func appendFrame(dst []byte, binaryMsg bool, p []byte) []byte {
	return append(appendHeader(dst, binaryMsg, len(p)), p...)
}

// appendMarkedFrame appends the frame of a revision 2 message (resume.go):
// one payload of mark, "\n" and p.
func appendMarkedFrame(dst []byte, binaryMsg bool, mark string, p []byte) []byte {
	dst = appendHeader(dst, binaryMsg, len(mark)+1+len(p))
	dst = append(append(dst, mark...), '\n')
	return append(dst, p...)
}

// appendHeader appends the header of an unmasked, unfragmented server
// data frame whose payload is n bytes.
func appendHeader(dst []byte, binaryMsg bool, n int) []byte {
	op := byte(opText)
	if binaryMsg {
		op = opBinary
	}
	switch {
	case n < 126:
		dst = append(dst, finBit|op, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finBit|op, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finBit|op, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return dst
}

// appendMessage appends one message's frame to the open batch, with
// mark before p when marked (appendMarkedFrame). It fails once a close
// frame went out, as coder/websocket's Write does.
func (c *batchConn) appendMessage(binaryMsg, marked bool, mark string, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent.Load() || c.buf == nil {
		return net.ErrClosed
	}
	if marked {
		*c.buf = appendMarkedFrame(*c.buf, binaryMsg, mark, p)
	} else {
		*c.buf = appendFrame(*c.buf, binaryMsg, p)
	}
	return nil
}
