package sse

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
)

// Uplink routing. Behind a load balancer without sticky sessions, a
// client's POST may land on a node other than the one holding its event
// stream. When the Hub's broker is a pubsub.Requester, each token names
// its owner, and a POST whose token belongs to another node is forwarded
// there, one message at a time, and answered with the owner's verdict
// (204, 404, 413, 400), or with 502 when the owner is not on the broker
// (stopped, or reconnecting: not delivered), 503 when it is too busy (not
// delivered), 504 when it did not answer in time (delivery unknown). A client that waits for each answer before its
// next POST (crossws's client and websocketsse's UplinkPerMessage do)
// has its messages delivered in order, as on one node.
//
// A routed token is <22 base64url: 128 random bits>.<8 hex: the Handler>.<the
// node id, unpadded base64url>. Only the first part is secret; the rest
// says where to go, and a forged route reaches a node that does not know
// the secret, which answers 404.
//
// A forwarded streaming uplink asks the owner every 15 s whether its
// stream is still open, and ends when it is not (forward_alive.go).

// forwardTimeout bounds the wait for the owner's verdict on one message,
// Message hook included: past it the POST is answered 504, which says the
// message may have been delivered: the owner may have run the Message
// hook and its answer been late.
const forwardTimeout = 10 * time.Second

// forwarder is a Handler's access to the other nodes.
type forwarder struct {
	rq      pubsub.Requester
	node    string
	timeout time.Duration // forwardTimeout; shorter in tests
	hub     *anyws.Hub    // for its Metrics (forward_metrics.go)
}

// startForwarding turns routing on when the Hub's broker can carry
// requests: tokens get this node's route, and the Handler answers
// messages other nodes forward to it.
func (h *Handler) startForwarding() {
	rq, ok := h.hub.Broker().(pubsub.Requester)
	if !ok {
		return
	}
	var id [4]byte
	_, _ = rand.Read(id[:])
	hid := hex.EncodeToString(id[:])
	node := h.hub.NodeID()
	h.tokens.route = "." + hid + "." + base64.RawURLEncoding.EncodeToString([]byte(node))
	h.tokens.fwd = &forwarder{rq: rq, node: node, timeout: forwardTimeout, hub: h.hub}
	rq.Handle(service(hid), h.answerForwarded)
	rq.Handle(aliveService(service(hid)), h.answerAlive)
}

// secretLen is the length of a peer's secret (anyws: 128 bits,
// base64url).
const secretLen = 22

func service(handlerID string) string { return "anyws.sse." + handlerID }

// parseRoute returns the node and service a routed token points to.
func parseRoute(tok string) (node, svc string, ok bool) {
	secret, rest, ok1 := strings.Cut(tok, ".")
	hid, enc, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(secret) != secretLen || len(hid) != 8 {
		return "", "", false
	}
	if _, err := hex.DecodeString(hid); err != nil {
		return "", "", false
	}
	n, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(n) == 0 {
		return "", "", false
	}
	return string(n), service(hid), true
}

// remote returns a target forwarding to the node that owns tok, or nil
// when there is no such other node (the token is unknown here).
func (h *Handler) remote(ctx context.Context, tok string) *remoteTarget {
	f := h.tokens.fwd
	if f == nil {
		return nil
	}
	node, svc, ok := parseRoute(tok)
	if !ok || node == f.node {
		return nil
	}
	return &remoteTarget{f: f, ctx: ctx, node: node, svc: svc, tok: tok}
}

// remoteTarget delivers to a stream on another node. Each Deliver waits
// for the owner's verdict, which keeps one POST's messages in order.
type remoteTarget struct {
	f    *forwarder
	ctx  context.Context // the POST's
	node string
	svc  string
	tok  string

	alive aliveContext // see forward_alive.go
}

func (rt *remoteTarget) deliver(m anyws.Message, seq uint64) error {
	return rt.forward(appendForwarded(nil, rt.tok, m, seq))
}

// Leave forwards a goodbye: a text message carrying the reason, with the
// leave flag and the close code in place of the sequence number.
func (rt *remoteTarget) Leave(info anyws.CloseInfo) error {
	b := appendForwarded(nil, rt.tok, anyws.NewMessage([]byte(info.Reason), false), uint64(info.Code))
	b[0] |= flagLeave
	return rt.forward(b)
}

// forward sends one forwarded request and turns the owner's verdict into
// deliver's errors.
func (rt *remoteTarget) forward(req []byte) error {
	ctx, cancel := context.WithTimeout(rt.ctx, rt.f.timeout)
	defer cancel()
	ans, err := rt.f.rq.Request(ctx, rt.node, rt.svc, req)
	switch {
	case errors.Is(err, pubsub.ErrNoNode):
		// The node is not on the broker: it stopped, or it (or this
		// node) is reconnecting to the broker and has not resubscribed
		// yet. Only the owner can say a stream is gone (404).
		return errOwnerUnreachable
	case errors.Is(err, pubsub.ErrBusy):
		return &uplinkError{status: http.StatusServiceUnavailable, msg: "anyws: the node holding this stream is too busy; the message was not delivered: send it again"}
	case err != nil && rt.ctx.Err() != nil:
		return &uplinkError{status: http.StatusBadRequest, msg: "anyws: the request ended before the message was delivered", err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &uplinkError{status: http.StatusGatewayTimeout, msg: fmt.Sprintf("anyws: the node holding this stream did not answer within %s: the message may or may not have been delivered (delivery unknown)", rt.f.timeout)}
	case err != nil:
		return &uplinkError{status: http.StatusBadGateway, msg: "anyws: could not reach the node holding this stream through the broker: the message may or may not have been delivered (delivery unknown)", err: err}
	}
	status, msg := parseVerdict(ans)
	switch status {
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return anyws.ErrClosed
	}
	return &uplinkError{status: status, msg: msg}
}

// errOwnerUnreachable answers a forwarded message whose owner is not on
// the broker. It is not 404: a client told "open a new event stream"
// would drop a live stream whenever the broker reconnects; a node that is
// really gone has closed its streams, and their clients reconnect anyway.
var errOwnerUnreachable = &uplinkError{
	status: http.StatusBadGateway,
	msg:    "anyws: the node holding this stream is not reachable through the broker (it stopped, or the broker is reconnecting); the message was not delivered: send it again, and open a new event stream if the stream is gone",
}

// answerForwarded runs on the owner node for a message another node
// forwarded: it checks it against this Handler's limits, delivers it, and
// returns the verdict.
func (h *Handler) answerForwarded(ctx context.Context, payload []byte) []byte {
	tok, m, seq, leave, ok := parseForwarded(payload)
	if !ok {
		return appendVerdict(nil, http.StatusBadRequest, "anyws: malformed forwarded uplink message")
	}
	s := h.session(tok)
	var err error
	switch {
	case s == nil:
		err = anyws.ErrClosed
	case m.Len() > h.opts.MaxMessageBytes:
		err = tooLarge(int64(m.Len()), h.opts.MaxMessageBytes)
	case !m.IsBinary() && !utf8.Valid(m.Bytes()):
		err = errInvalidText
	case leave:
		s.Leave(anyws.CloseInfo{Code: anyws.StatusCode(seq), Reason: m.Text()})
	default:
		err = s.Deliver(m, seq)
	}
	var ue *uplinkError
	switch {
	case err == nil:
		return appendVerdict(nil, http.StatusNoContent, "")
	case errors.As(err, &ue):
		return appendVerdict(nil, ue.status, ue.Error())
	default:
		return appendVerdict(nil, http.StatusNotFound, "")
	}
}

// appendForwarded encodes one forwarded message: flags (flagBinary,
// flagSeq: a sequence number follows, flagLeave: a goodbye whose close
// code is in place of the sequence number and whose reason is the
// payload), the sequence number (uvarint) if any, the token's length and
// bytes, then the payload.
func appendForwarded(dst []byte, tok string, m anyws.Message, seq uint64) []byte {
	var flags byte
	if m.IsBinary() {
		flags |= flagBinary
	}
	if seq != 0 {
		flags |= flagSeq
	}
	dst = append(dst, flags)
	if seq != 0 {
		dst = binary.AppendUvarint(dst, seq)
	}
	dst = binary.AppendUvarint(dst, uint64(len(tok)))
	dst = append(dst, tok...)
	return append(dst, m.Bytes()...)
}

const (
	flagBinary = 1 << iota
	flagSeq
	flagLeave
)

func parseForwarded(b []byte) (tok string, m anyws.Message, seq uint64, leave, ok bool) {
	if len(b) < 1 {
		return "", m, 0, false, false
	}
	flags := b[0]
	b = b[1:]
	if flags&flagSeq != 0 {
		var k int
		seq, k = binary.Uvarint(b)
		if k <= 0 {
			return "", m, 0, false, false
		}
		b = b[k:]
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", m, 0, false, false
	}
	b = b[k:]
	tok = string(b[:n])
	data := append([]byte(nil), b[n:]...)
	leave = flags&flagLeave != 0
	if leave && (seq > 0xffff || !anyws.StatusCode(seq).Sendable()) {
		return "", m, 0, false, false
	}
	return tok, anyws.NewMessage(data, flags&flagBinary != 0), seq, leave, true
}

// appendVerdict encodes an HTTP status and its error text.
func appendVerdict(dst []byte, status int, msg string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(status))
	return append(dst, msg...)
}

func parseVerdict(b []byte) (int, string) {
	if len(b) < 2 {
		return http.StatusBadGateway, "anyws: malformed answer from the node holding this stream"
	}
	return int(binary.BigEndian.Uint16(b)), string(b[2:])
}
