package main

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/anyws/anyws"
)

// room is the topic every participant subscribes to.
const room = "room"

// maxText bounds a chat message, in runes.
const maxText = 2000

// member is a participant as the others see them.
type member struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Transport string `json:"transport"` // "websocket" or "sse"
}

// event is every message the server sends: one JSON object per message,
// told apart by Type ("welcome", "join", "leave", "message").
type event struct {
	Type  string   `json:"type"`
	You   *member  `json:"you,omitempty"`
	Peers []member `json:"peers,omitempty"`
	Peer  *member  `json:"peer,omitempty"`
	From  *member  `json:"from,omitempty"`
	Text  string   `json:"text,omitempty"`
	Time  string   `json:"time,omitempty"`
}

// newHub returns the chat's Hub. A client connects with ?name=<name>; it
// gets a welcome with everyone present, then join, leave and message
// events; each text it sends is a message to the whole room, itself
// included (so every tab shows the same list in the same order).
func newHub() *anyws.Hub {
	var hub *anyws.Hub
	hub = anyws.New(anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			u.Set("name", cleanName(u.Request.URL.Query().Get("name")))
			return nil
		},
		Open: func(p *anyws.Peer) {
			me := memberOf(p)
			var present []member
			for _, q := range p.Peers() {
				present = append(present, memberOf(q))
			}
			_ = p.Send(event{Type: "welcome", You: &me, Peers: present})
			p.Subscribe(room)
			_ = p.Publish(room, event{Type: "join", Peer: &me})
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			text := strings.TrimSpace(m.Text())
			if m.IsBinary() || text == "" {
				return
			}
			if r := []rune(text); len(r) > maxText {
				text = string(r[:maxText]) + "…"
			}
			me := memberOf(p)
			msg := event{Type: "message", From: &me, Text: text, Time: time.Now().UTC().Format(time.RFC3339)}
			_ = hub.Publish(room, msg, anyws.InNamespace(p.Namespace()))
		},
		Close: func(p *anyws.Peer, _ anyws.CloseInfo) {
			me := memberOf(p)
			_ = p.Publish(room, event{Type: "leave", Peer: &me})
		},
	}, nil)
	return hub
}

func memberOf(p *anyws.Peer) member {
	name, _ := anyws.Value[string](p, "name")
	return member{ID: p.ID(), Name: name, Transport: p.Transport()}
}

// cleanName keeps a display name short and printable; an empty one
// becomes guest-<n>.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > 32 {
		s = string(r[:32])
	}
	if s == "" {
		s = fmt.Sprintf("guest-%03d", time.Now().UnixNano()%1000)
	}
	return s
}
