package websocket

import "encoding/binary"

// frameScanner follows the frames coder/websocket writes through
// batchConn, across Write calls that may split a frame anywhere (its
// bufio.Writer flushes when full), so batchConn can tell a write made of
// whole control frames (a pong, a ping, a close) from message data, and
// knows whether, and with what code, a close frame went out.
type frameScanner struct {
	hdr       [14]byte
	nh        uint8  // header bytes held
	inPayload bool   // inside the current frame's payload
	rem       uint64 // payload bytes left in the current frame
	close     []byte // the close frame's payload, as it is written
	op        byte   // the current frame's opcode
}

// scanResult says what one Write held.
type scanResult struct {
	control bool // only whole control frames
	close   bool // it ended a close frame
}

const (
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// feed follows p, the next bytes written.
func (s *frameScanner) feed(p []byte) scanResult {
	r := scanResult{control: s.nh == 0 && !s.inPayload && len(p) > 0}
	for len(p) > 0 {
		if s.inPayload {
			k := uint64(len(p))
			if k > s.rem {
				k = s.rem
			}
			if s.op == opClose {
				s.close = append(s.close, p[:k]...)
			}
			s.rem -= k
			p = p[k:]
			if s.rem == 0 {
				s.inPayload = false
				r.close = r.close || s.op == opClose
			}
			continue
		}
		s.hdr[s.nh] = p[0]
		s.nh++
		p = p[1:]
		if s.nh < 2 || int(s.nh) < s.headerLen() {
			continue
		}
		s.op = s.hdr[0] & 0x0f
		s.rem = s.payloadLen()
		s.nh = 0
		if s.op < opClose {
			r.control = false
		}
		if s.op == opClose {
			s.close = s.close[:0]
		}
		if s.rem > 0 {
			s.inPayload = true
		} else {
			r.close = r.close || s.op == opClose
		}
	}
	if s.nh != 0 || s.inPayload {
		r.control = false // a frame goes on in the next write
	}
	return r
}

func (s *frameScanner) headerLen() int {
	n := 2
	switch s.hdr[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if s.hdr[1]&0x80 != 0 {
		n += 4 // masked (a client's frames; the server's are not)
	}
	return n
}

func (s *frameScanner) payloadLen() uint64 {
	switch n := s.hdr[1] & 0x7f; n {
	case 126:
		return uint64(binary.BigEndian.Uint16(s.hdr[2:]))
	case 127:
		return binary.BigEndian.Uint64(s.hdr[2:])
	default:
		return uint64(n)
	}
}

// closeSent returns the code and reason of the last close frame written
// (1005 when it had none).
func (s *frameScanner) closeSent() (code uint16, reason string) {
	if len(s.close) < 2 {
		return 1005, ""
	}
	return binary.BigEndian.Uint16(s.close), string(s.close[2:])
}
