// Package suite is the behaviour suite every transport must pass: the
// guarantees of anyws's Peer and Hooks (hook order, Close exactly once,
// pub/sub, slow consumers, shutdown), checked through real clients. An
// adapter's tests call Run once per mode, like net/http's mode matrix.
package suite

import (
	"context"
	"testing"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
)

// Client is one connected test client. coder/websocket's *Conn and
// websocketsse's *Conn both satisfy it.
type Client interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
	CloseNow() error
}

// Transport is one way of connecting clients to a Hub.
type Transport struct {
	// Name names the mode in subtest names ("websocket", "sse+post/h2").
	Name string
	// Serve serves hub (its own hooks) on a new test server that the test
	// closes at cleanup, and returns the URL clients dial.
	Serve func(t testing.TB, hub *anyws.Hub) string
	// Dial connects one client to url. The suite closes it.
	Dial func(ctx context.Context, t testing.TB, url string) (Client, error)
	// OneWay is true when clients cannot send (one-way SSE): the suite
	// then skips what needs client messages.
	OneWay bool
	// CloseCodes is true when the client sees the server's close code
	// and reason (WebSocket, websocketsse), so the suite checks them.
	CloseCodes bool
	// ClientCloseCodes is true when the server sees the code and reason a
	// client closes with (WebSocket has a close frame; an SSE client with
	// an uplink says goodbye with them).
	ClientCloseCodes bool
	// NoGoodbye is true when a client cannot tell the server it leaves
	// (one-way SSE): its closing looks like a drop, and with recovery on
	// its peer closes when the resume window ends.
	NoGoodbye bool
	// TextUplink is true when clients can send text only (crossws's raw
	// streaming POST): the suite skips binary uplink checks.
	TextUplink bool
	// SyncWrites makes the suite wait until the server has delivered each
	// message before it writes the next: for transports without message
	// boundaries (crossws's raw streaming POST), where two writes in
	// flight may arrive as one message.
	SyncWrites bool
}
