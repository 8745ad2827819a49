package websocketsse

import (
	"context"
	"strconv"
	"strings"

	"github.com/anyws/anyws/internal/closecode"
	"github.com/anyws/anyws/internal/sse"
	"github.com/coder/websocket"
)

// sayGoodbye tells an anyws server that keeps peers for a resume (it said
// hello) that this client is leaving, so that its peer closes now, with
// code and reason, instead of waiting out the resume window: a POST with
// the X-Anyws-Leave header. Other servers (crossws) get nothing: they
// would take the POST for a message. Its failure is not Close's: the
// peer then closes when the window ends.
func (c *Conn) sayGoodbye(ctx context.Context, code websocket.StatusCode, reason string) {
	if !c.resumes() {
		return
	}
	tok, postURL, _, _ := c.currentToken()
	if tok == "" {
		return
	}
	code, reason = sendableClose(code, reason)
	req, err := c.newPost(ctx, postURL, tok, "text/plain; charset=utf-8", strings.NewReader(reason))
	if err != nil {
		return
	}
	req.Header.Set(sse.LeaveHeader, strconv.Itoa(int(code)))
	if resp, err := c.client.Do(req); err == nil {
		discard(resp.Body)
	}
}

// sendableClose returns code, or 1000 when a close frame could not carry
// it, and reason cut to a close frame's 123 bytes on a rune boundary.
func sendableClose(code websocket.StatusCode, reason string) (websocket.StatusCode, string) {
	if !closecode.Sendable(int(code)) {
		code = websocket.StatusNormalClosure
	}
	return code, closecode.TrimReason(reason)
}
