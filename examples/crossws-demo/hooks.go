package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anyws/anyws"
)

// chatTopic is the topic every peer joins on open, as in crossws's demo.
const chatTopic = "chat"

// drainTimeout bounds how long "waitForDrain" waits before answering
// anyway, so a stuck client cannot hold its Message hook forever.
const drainTimeout = 10 * time.Second

// newHub returns the Hub running the demo's hooks. They are the whole
// application: handler.go only routes requests to the Hub's adapters.
func newHub() *anyws.Hub {
	return anyws.New(anyws.Hooks{
		Upgrade: upgrade,
		Open:    open,
		Message: message,
	}, &anyws.Options{
		// crossws has no recovery: a dropped connection ends its peer
		// at once, and streams carry no ids.
		ResumeWindow: -1,
	})
}

// upgrade is crossws's demo upgrade hook: "?unauthorized" is refused with
// a Bearer challenge, everything else gets the demo's headers and context.
func upgrade(u *anyws.Handshake) error {
	if strings.HasSuffix(requestURI(u.Request), "?unauthorized") {
		return &anyws.Rejection{
			Status: http.StatusUnauthorized,
			Header: http.Header{
				"Content-Type":     {"text/plain;charset=UTF-8"},
				"Www-Authenticate": {`Bearer realm="crossws"`},
				"X-Error":          {"unauthorized"},
			},
			Body: "unauthorized",
		}
	}
	u.Header.Set("X-Powered-By", "cross-ws")
	u.Header.Set("Set-Cookie", "cross-ws=1; SameSite=None; Secure")
	// crossws answers "supported" only for that exact request value; a
	// list such as "supported, other" or any other value gets no answer.
	if v := u.Request.Header.Values("Sec-WebSocket-Protocol"); len(v) == 1 && v[0] == "supported" {
		u.Protocol = "supported"
	}
	u.Set("test", "1")
	return nil
}

// open sends the welcome first (crossws clients expect it as the first
// message), then joins the chat and announces the peer to the others.
func open(p *anyws.Peer) {
	_ = p.Send(fmt.Sprintf("Welcome to the server %s! (namespace: %s)", p.ID(), p.Namespace()))
	p.Subscribe(chatTopic)
	_ = p.Publish(chatTopic, p.ID()+" joined!")
}

// message answers the demo's commands; any other text is echoed to the
// sender and published to the chat's other peers.
func message(p *anyws.Peer, m anyws.Message) {
	text := m.Text() // binary frames are read as UTF-8 text, as crossws does
	switch text {
	case "ping":
		_ = p.Send("pong")
	case "binary":
		sendBinary(p, "binary message works!")
	case "debug":
		_ = p.Send(json.RawMessage(debugJSON(p)))
	case "waitForDrain":
		ctx, cancel := context.WithTimeout(p.Context(), drainTimeout)
		_ = p.Drain(ctx)
		cancel()
		_ = p.Send("drained")
	case "peers":
		_ = p.Send(json.RawMessage(peersJSON(p.Peers(), (*anyws.Peer).ID)))
	default:
		_ = p.Send(text)
		_ = p.Publish(chatTopic, text)
	}
}

// sendBinary sends s as a binary WebSocket frame. crossws's SSE peers send
// everything as text, so on SSE the same bytes go down as plain event data
// rather than anyws's base64 data URL, which a crossws client would show
// as is.
func sendBinary(p *anyws.Peer, s string) {
	if p.Transport() == "websocket" {
		_ = p.Send([]byte(s))
		return
	}
	_ = p.Send(s)
}

// peersJSON is {"peers":[...]} with name(p) for each peer, in the given
// (connect) order; an empty list is [] rather than null.
func peersJSON(peers []*anyws.Peer, name func(*anyws.Peer) string) []byte {
	names := make([]string, 0, len(peers))
	for _, p := range peers {
		names = append(names, name(p))
	}
	b, _ := json.Marshal(struct {
		Peers []string `json:"peers"`
	}{names})
	return b
}

// requestURI is the request-target as the client sent it, query included.
func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}
