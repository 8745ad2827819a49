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
// the query parameter anyws=1 and speak a small protocol on top:
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
// Every other message is the application's, unchanged. A client that
// does not mark its handshake gets plain WebSocket, and its peer ends
// when its connection drops.

// helloTimeout bounds the wait for a marked client's ClientHello.
const helloTimeout = 10 * time.Second

// marked reports whether r comes from a client that speaks the protocol
// above.
func marked(r *http.Request) bool {
	return r.URL.Query().Get(sse.ClientParam) == sse.ClientRevision
}

// errHello is a marked client whose first message is not a ClientHello.
var errHello = errors.New(`websocket: a client that marks its URL with anyws=1 must send {"resume":"…"} or {} as its first message`)

// readClientHello reads a marked client's first message and returns its
// claim ("" for a new peer).
func readClientHello(conn *ws.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), helloTimeout)
	defer cancel()
	typ, data, err := conn.Read(ctx)
	if err != nil {
		return "", err
	}
	var h sse.ClientHello
	if typ != ws.MessageText || json.Unmarshal(data, &h) != nil {
		return "", errHello
	}
	return h.Resume, nil
}

// appendHello returns the Hello of a marked connection whose first
// message (if any) is number first.
func appendHello(dst []byte, s *anyws.Session, first uint64) []byte {
	rs := s.Resume()
	h := sse.Hello{Resumed: rs.Resumed, Reason: rs.Reason, Received: s.Received()}
	if s.Resumable() {
		h.ID = s.ResumeKey() + ":" + strconv.FormatUint(first-1, 10)
	}
	b, _ := json.Marshal(h)
	return append(dst, b...)
}
