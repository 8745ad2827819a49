package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

var errBadRead = errors.New("sse: reader returned an invalid count")

// readLine returns the next line without its line end. The slice is valid
// until the next call. It never blocks for more input than the line needs:
// after a CR it does not wait to see whether an LF follows, it remembers
// to skip one instead, so CR-terminated streams dispatch promptly and a CR
// and LF split across reads still count as one line end.
func (p *Parser) readLine() ([]byte, error) {
	if !p.bomDone {
		p.skipBOM()
	}
	p.line = p.line[:0]
	spanning := false
	for {
		if p.skipLF && p.start < p.end {
			if p.buf[p.start] == '\n' {
				p.start++
			}
			p.skipLF = false
		}
		if i := p.indexEOL(); i >= 0 {
			line := p.buf[p.start:i]
			p.skipLF = p.buf[i] == '\r'
			p.start = i + 1
			if spanning {
				if len(p.line)+len(line) > p.maxLine {
					return nil, p.lineTooLarge()
				}
				p.line = append(p.line, line...)
				return p.line, nil
			}
			if len(line) > p.maxLine {
				return nil, p.lineTooLarge()
			}
			return line, nil
		}
		chunk := p.buf[p.start:p.end]
		if len(p.line)+len(chunk) > p.maxLine {
			return nil, p.lineTooLarge()
		}
		p.line = append(p.line, chunk...)
		spanning = true
		p.start = p.end
		if p.rerr != nil {
			p.partial = len(p.line) > 0
			return nil, p.rerr // an unterminated line (and its event) is dropped
		}
		p.fill()
	}
}

// lineTooLarge does not say how long the line was: how much of it had
// arrived when the limit was crossed depends on how the stream was split,
// and the error must not.
func (p *Parser) lineTooLarge() error {
	return fmt.Errorf("%w: a line longer than %d bytes", ErrTooLarge, p.maxLine)
}

// indexEOL returns the index in buf of the first CR or LF in
// buf[start:end], or -1. The position of the next LF is cached so that a
// buffer full of short CR-terminated lines is not rescanned for each line.
func (p *Parser) indexEOL() int {
	if p.lf < p.start {
		p.lf = p.end
		if i := bytes.IndexByte(p.buf[p.start:p.end], '\n'); i >= 0 {
			p.lf = p.start + i
		}
	}
	if i := bytes.IndexByte(p.buf[p.start:p.lf], '\r'); i >= 0 {
		return p.start + i
	}
	if p.lf < p.end {
		return p.lf
	}
	return -1
}

// skipBOM drops one UTF-8 BOM at the very start of the stream. It reads
// only as long as what it has could still be the start of a BOM.
func (p *Parser) skipBOM() {
	for {
		avail := p.buf[p.start:p.end]
		if len(avail) >= len(bom) || !bytes.HasPrefix(bom, avail) || p.rerr != nil {
			if bytes.HasPrefix(avail, bom) {
				p.start += len(bom)
			}
			p.bomDone = true
			return
		}
		p.fill()
	}
}

// fill reads once more into buf, after moving unread bytes to its front.
// Like bufio.Reader it gives up with io.ErrNoProgress after many empty
// reads.
func (p *Parser) fill() {
	n := copy(p.buf, p.buf[p.start:p.end])
	p.start, p.end, p.lf = 0, n, -1
	for range maxEmptyRead {
		n, err := p.r.Read(p.buf[p.end:])
		if n < 0 || n > len(p.buf)-p.end {
			p.rerr = errBadRead
			return
		}
		p.end += n
		if err != nil {
			p.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	p.rerr = io.ErrNoProgress
}
