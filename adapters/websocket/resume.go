package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	ws "github.com/coder/websocket"
)

// Recovery over WebSocket. A WebSocket has no event ids, so anyws's own
// clients (anyws.js, the Go client package) mark their handshake with
// the query parameter anyws=<revision> and speak a small protocol on
// top. Revision 1 (anyws=1):
//
//   - the client's first message is a text ClientHello, JSON
//     {"resume":"<secret>:<n>"} to resume a peer, {} for a new one;
//   - the server's first message is a text Hello, JSON {"id":
//     "<secret>:<n>","resumed":…,"reason":…,"received":<m>}: n is the
//     number of the last message before this connection, and the
//     client adds one for each data message it reads, so it always knows
//     the claim to resume with; m is the number of the client's last
//     message the server delivered; "id" is missing when the server
//     cannot resume peers (recovery off), and then the client does not
//     try;
//   - the client numbers its data messages m+1, m+2, … from there, and
//     after a resume sends again, in order, those it sent after m; the
//     server delivers a number once.
//
// Revision 2 (anyws=2) adds topic marks (internal/sse's Marks), so that
// a peer whose node died can be rebuilt on another node from what its
// client received (the dead node's memory of it is gone):
//
//   - the ClientHello carries "marks": the last mark the client received
//     per tag, always present (even []) so the server knows the list is
//     complete: a topic without a mark got nothing yet;
//   - when the server keeps peer records (anyws.Session.Marks), its
//     Hello says "marks":true, and every data message after the Hello
//     starts with its mark (empty for a direct message) and "\n", in the
//     same WebSocket message (text stays text, binary binary), which the
//     client strips and keeps; without "marks" messages are bare, as in
//     revision 1;
//   - "recovered":true in the Hello says the peer was rebuilt that way:
//     the client drops, instead of sending again, the messages the
//     server had not acknowledged (the new node cannot know which the
//     dead one delivered: at most once), and numbers its next message
//     "received"+1.
//
// Every other message is the application's, unchanged. A client that
// does not mark its handshake gets plain WebSocket, and its peer ends
// when its connection drops.

// helloTimeout bounds the wait for a marked client's ClientHello.
const helloTimeout = 10 * time.Second

// revision is the anyws protocol revision r's client speaks (see above):
// 0 for a client that does not mark its handshake (or names a revision
// this server does not know, which then gets plain WebSocket rather
// than a protocol it cannot follow).
func revision(r *http.Request) int {
	switch r.URL.Query().Get(sse.ClientParam) {
	case sse.ClientRevision:
		return 1
	case sse.ClientRevisionMarks:
		return 2
	}
	return 0
}

// errHello is a marked client whose first message is not a ClientHello.
var errHello = errors.New(`websocket: a client that marks its URL with anyws=<revision> must send {"resume":"…"} or {} as its first message`)

// readClientHello reads a marked client's first message and adds what it
// says to o.
func readClientHello(conn *ws.Conn, rev int, o *anyws.AttachOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), helloTimeout)
	defer cancel()
	typ, data, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	if typ != ws.MessageText {
		return errHello
	}
	return parseClientHello(data, rev, o)
}

// parseClientHello fills o from a revision rev ClientHello. Marks are
// a revision 2 field: nil when absent (the client keeps none), non-nil
// even when empty (it keeps them and has none yet), which the core
// tells apart (a complete list, or no list).
func parseClientHello(data []byte, rev int, o *anyws.AttachOptions) error {
	var h sse.ClientHello
	if json.Unmarshal(data, &h) != nil {
		return errHello
	}
	o.Resumable, o.Resume, o.Sent = true, h.Resume, h.Sent
	if rev >= 2 && h.Marks != nil {
		o.Marks = *h.Marks
		if o.Marks == nil {
			o.Marks = []string{}
		}
	}
	return nil
}

// appendHello returns the Hello of a marked connection whose first
// message (if any) is number first; marks: every message after it
// carries its mark.
func appendHello(dst []byte, s *anyws.Session, first uint64, marks bool) []byte {
	rs := s.Resume()
	h := sse.Hello{Resumed: rs.Resumed, Reason: rs.Reason, Received: s.Received(), Recovered: rs.Recovered, Mended: rs.Mended, Gaps: rs.Gaps, Marks: marks}
	if s.Resumable() {
		h.ID = s.ResumeKey() + ":" + strconv.FormatUint(first-1, 10)
	}
	b, _ := json.Marshal(h)
	return append(dst, b...)
}
