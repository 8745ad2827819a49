package anyws_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

func TestChain(t *testing.T) {
	t.Parallel()
	var got []string
	note := func(s string) { got = append(got, s) }
	refuse := errors.New("refused")
	a := anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { note("a upgrade"); u.Set("by", "a"); return nil },
		Message: func(p *anyws.Peer, m anyws.Message) { note("a message") },
	}
	b := anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { note("b upgrade"); return refuse },
		Close:   func(p *anyws.Peer, c anyws.CloseInfo) { note("b close") },
	}
	c := anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error { note("c upgrade"); return nil },
		Message: func(p *anyws.Peer, m anyws.Message) { note("c message") },
	}
	h := anyws.Chain(a, anyws.Hooks{}, b, c)
	require.Nil(t, h.Open, "no Open hook in the chain")
	require.Nil(t, h.Error)

	require.ErrorIs(t, h.Upgrade(&anyws.Handshake{}), refuse)
	require.Equal(t, []string{"a upgrade", "b upgrade"}, got, "the first error ends the Upgrade chain")
	got = nil
	h.Message(nil, anyws.Text("x"))
	h.Close(nil, anyws.CloseInfo{})
	require.Equal(t, []string{"a message", "c message", "b close"}, got)
}

// A route whose hooks set ReplaceHub replaces the Hub's hooks, hook by
// hook; the Hub's still run where the route has none.
func TestReplaceHub(t *testing.T) {
	t.Parallel()
	j := &journal{closed: make(chan struct{})}
	hub := anyws.New(j.hooksNoting("hub", true), nil)
	url := serveRoute(t, hub, anyws.Hooks{
		ReplaceHub: true,
		Message:    func(p *anyws.Peer, m anyws.Message) { j.note("route message " + m.Text()) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	waitClosed(t, j.closed)
	require.Equal(t, []string{"hub upgrade", "hub open", "route message hi", "hub close"}, j.get())
}

// Chain composes a set of hooks several routes share; a route's own
// hooks run after the Hub's in any case.
func ExampleChain() {
	auth := anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			if u.Request.Header.Get("Authorization") == "" {
				return anyws.Reject(http.StatusUnauthorized, "log in first")
			}
			return nil
		},
	}
	logging := anyws.Hooks{
		Open:  func(p *anyws.Peer) { fmt.Println("open", p) },
		Close: func(p *anyws.Peer, c anyws.CloseInfo) { fmt.Println("close", p, c.Code) },
	}
	hooks := anyws.Chain(auth, logging, anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	})
	hub := anyws.New(hooks, nil)
	defer hub.Shutdown(context.Background())
}
