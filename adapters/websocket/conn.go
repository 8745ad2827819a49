package websocket

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws"
	ws "github.com/coder/websocket"
)

// serve owns conn until the peer is finished: it writes queued frames,
// pings, and closes; a reader goroutine delivers messages.
func (h *Handler) serve(conn *ws.Conn, bc *batchConn, s *anyws.Session) {
	conn.SetReadLimit(h.opts.ReadLimit)
	readDone := make(chan anyws.CloseInfo, 1)
	go h.read(conn, s, readDone)

	var tick <-chan time.Time
	if h.opts.PingInterval > 0 {
		t := time.NewTicker(h.opts.PingInterval)
		defer t.Stop()
		tick = t.C
	}
	info := h.loop(conn, bc, s, readDone, tick)
	_ = conn.CloseNow()
	for range readDone {
		// Wait for the reader to end: no Message hook may run after Close.
	}
	s.Finish(info)
}

func (h *Handler) loop(conn *ws.Conn, bc *batchConn, s *anyws.Session, readDone chan anyws.CloseInfo, tick <-chan time.Time) anyws.CloseInfo {
	for {
		select {
		case <-s.Wake():
			if err := h.writeBatch(conn, bc, s); err != nil {
				select {
				case <-s.Closing():
					// The write was aborted by a close that drops the queue.
					code, reason, _, _ := s.CloseRequest()
					return anyws.CloseInfo{Code: code, Reason: reason, Err: err}
				default:
				}
				s.ReportError(err)
				return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "write failed", Err: err}
			}
		case <-s.Closing():
			code, reason, abrupt, discard := s.CloseRequest()
			if !discard {
				_ = h.writeBatch(conn, bc, s)
			}
			if !abrupt {
				_ = conn.Close(ws.StatusCode(code), reason)
			}
			return anyws.CloseInfo{Code: code, Reason: reason}
		case info := <-readDone:
			return info
		case <-tick:
			ctx, cancel := context.WithTimeout(context.Background(), h.opts.PingTimeout)
			err := conn.Ping(ctx)
			cancel()
			if err != nil {
				return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Reason: "ping timeout", Err: err}
			}
		}
	}
}

// writeBatch writes everything queued under one deadline, as one write
// system call (see batchConn).
func (h *Handler) writeBatch(conn *ws.Conn, bc *batchConn, s *anyws.Session) error {
	batch := s.Take()
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.WriteContext(), h.opts.WriteTimeout)
	defer cancel()
	bc.begin()
	for _, f := range batch {
		m := f.Message()
		typ := ws.MessageText
		if m.IsBinary() {
			typ = ws.MessageBinary
		}
		if err := conn.Write(ctx, typ, m.Bytes()); err != nil {
			bc.discard()
			return err
		}
	}
	if err := bc.flush(ctx, h.opts.WriteTimeout); err != nil {
		return err
	}
	s.Written(batch)
	return nil
}

// read delivers messages in order until the connection ends, then reports
// how it ended on done.
func (h *Handler) read(conn *ws.Conn, s *anyws.Session, done chan<- anyws.CloseInfo) {
	defer close(done)
	for {
		typ, data, err := conn.Read(context.Background())
		if err != nil {
			done <- readErrorInfo(err)
			return
		}
		if typ == ws.MessageText && !utf8.Valid(data) {
			const reason = "invalid UTF-8 in text message"
			_ = conn.Close(ws.StatusInvalidFramePayloadData, reason)
			done <- anyws.CloseInfo{Code: anyws.StatusInvalidPayload, Reason: reason}
			return
		}
		if s.Deliver(anyws.NewMessage(data, typ == ws.MessageBinary)) != nil {
			return
		}
	}
}

func readErrorInfo(err error) anyws.CloseInfo {
	var ce ws.CloseError
	switch {
	case errors.As(err, &ce):
		return anyws.CloseInfo{Code: anyws.StatusCode(ce.Code), Reason: ce.Reason}
	case errors.Is(err, ws.ErrMessageTooBig):
		return anyws.CloseInfo{Code: anyws.StatusMessageTooBig, Reason: "message too big", Err: err}
	default:
		return anyws.CloseInfo{Code: anyws.StatusAbnormalClosure, Err: err}
	}
}
