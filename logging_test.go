package anyws_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// logRecord is one captured slog record, its attributes flattened.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// logCapture is a slog.Handler that keeps every record, at any level
// from min up.
type logCapture struct {
	min slog.Level
	mu  sync.Mutex
	got []logRecord
}

func (c *logCapture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.min }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler           { return c }
func (c *logCapture) WithGroup(string) slog.Handler                { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	c.got = append(c.got, rec)
	c.mu.Unlock()
	return nil
}

// find returns the records whose message is msg.
func (c *logCapture) find(msg string) []logRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []logRecord
	for _, r := range c.got {
		if r.Msg == msg {
			out = append(out, r)
		}
	}
	return out
}

func (c *logCapture) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.got {
		out = append(out, r.Msg)
	}
	return out
}

// one returns the only record with message msg.
func (c *logCapture) one(t *testing.T, msg string) logRecord {
	t.Helper()
	rs := c.find(msg)
	require.Len(t, rs, 1, "records %q among %q", msg, c.messages())
	return rs[0]
}

func requirePeerAttrs(t *testing.T, r logRecord, p *anyws.Peer) {
	t.Helper()
	require.Equal(t, p.ID(), r.Attrs[anyws.LogPeer])
	require.Equal(t, p.Transport(), r.Attrs[anyws.LogTransport])
	require.Equal(t, p.Namespace(), r.Attrs[anyws.LogNamespace])
	require.Equal(t, p.RemoteAddr(), r.Attrs[anyws.LogRemoteAddr])
}

// TestLogLifecycle: a peer's open and close are logged at Debug with
// the peer's attributes and the close code and reason; a shutdown at
// Info.
func TestLogLifecycle(t *testing.T) {
	t.Parallel()
	logs := &logCapture{min: slog.LevelDebug}
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Logger: slog.New(logs)})
	c := connect(t, hub, "/room")
	p := c.peer()

	r := logs.one(t, "anyws: peer opened")
	require.Equal(t, slog.LevelDebug, r.Level)
	requirePeerAttrs(t, r, p)
	require.Equal(t, "/room", r.Attrs[anyws.LogNamespace])
	require.Equal(t, "192.0.2.1", r.Attrs[anyws.LogRemoteAddr]) // httptest's client
	require.NotContains(t, r.Attrs, anyws.LogReason, "no resume was claimed")

	require.NoError(t, p.Close(4001, "bye"))
	c.waitEnded()
	r = logs.one(t, "anyws: peer closed")
	require.Equal(t, slog.LevelDebug, r.Level)
	requirePeerAttrs(t, r, p)
	require.Equal(t, "4001", r.Attrs[anyws.LogCloseCode])
	require.Equal(t, "bye", r.Attrs[anyws.LogReason])

	connect(t, hub, "/room")
	require.NoError(t, hub.Shutdown(context.Background()))
	r = logs.one(t, "anyws: hub shutting down")
	require.Equal(t, slog.LevelInfo, r.Level)
	require.Equal(t, "1", r.Attrs[anyws.LogPeers])
	require.Equal(t, slog.LevelInfo, logs.one(t, "anyws: hub stopped").Level)
	closed := logs.find("anyws: peer closed")
	require.Len(t, closed, 2)
	require.Equal(t, "1001", closed[1].Attrs[anyws.LogCloseCode], "shutdown closes with going away")
	require.Empty(t, logs.find("anyws: peer error"))
}

// TestLogResume: a dropped connection and its resume are logged at
// Debug, and so is a failed claim (a new peer, with the reason and the
// step that failed).
func TestLogResume(t *testing.T) {
	t.Parallel()
	logs := &logCapture{min: slog.LevelDebug}
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Logger: slog.New(logs), ResumeWindow: time.Minute})
	defer hub.Close()
	c := attach(t, hub, "/", resumable(""))
	p := c.peer()
	secret := c.s.Secret()
	c.cut()
	r := logs.one(t, "anyws: connection dropped")
	requirePeerAttrs(t, r, p)
	require.Equal(t, "1006", r.Attrs[anyws.LogCloseCode])
	require.Equal(t, "aborted", r.Attrs[anyws.LogReason])

	c2 := attach(t, hub, "/", resumable(secret+":0"))
	defer c2.finish()
	requirePeerAttrs(t, logs.one(t, "anyws: peer resumed"), p)

	c3 := attach(t, hub, "/", resumable("0123:1"))
	defer c3.finish()
	opened := logs.find("anyws: peer opened")
	require.Len(t, opened, 2)
	require.Equal(t, c3.peer().ID(), opened[1].Attrs[anyws.LogPeer])
	require.Equal(t, "unknown", opened[1].Attrs[anyws.LogReason])
	require.Equal(t, "no such peer here, and the claim names no node", opened[1].Attrs[anyws.LogDetail], "the step that failed")
	require.Empty(t, logs.find("anyws: peer closed"), "the resumed peer never closed")
}

// TestLogErrors: what the Error hook gets is logged too, and the hook
// still gets it: a peer's errors at Warn, a panic and a broker failure
// at Error. At Info, connections are not logged.
func TestLogErrors(t *testing.T) {
	t.Parallel()
	logs := &logCapture{min: slog.LevelInfo}
	var hooked []string
	var mu sync.Mutex
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) {
			if m.Text() == "panic" {
				panic("boom")
			}
		},
		Error: func(p *anyws.Peer, err error) {
			mu.Lock()
			hooked = append(hooked, err.Error())
			mu.Unlock()
		},
	}, &anyws.Options{Logger: slog.New(logs), Broker: failingBroker{}, QueueMessages: 1})
	defer hub.Close()

	r := logs.one(t, "anyws: hub error")
	require.Equal(t, slog.LevelError, r.Level)
	require.Contains(t, r.Attrs[anyws.LogError], "anyws: start broker: no server")

	c := connect(t, hub, "/")
	p := c.peer()
	require.NoError(t, c.s.Deliver(anyws.Text("panic"), 0))
	c.waitEnded()
	r = logs.one(t, "anyws: hook panicked")
	require.Equal(t, slog.LevelError, r.Level)
	requirePeerAttrs(t, r, p)
	require.Contains(t, r.Attrs[anyws.LogError], "anyws: Message hook panicked: boom")

	// An overflow: the writer is stuck on a client that does not read.
	c2 := connect(t, hub, "/")
	c2.mu.Lock()
	c2.gate = make(chan struct{})
	c2.mu.Unlock()
	p2 := c2.peer()
	for range 3 {
		_ = p2.Send("x")
	}
	c2.waitEnded()
	r = logs.one(t, "anyws: peer error")
	require.Equal(t, slog.LevelWarn, r.Level)
	requirePeerAttrs(t, r, p2)
	require.Contains(t, r.Attrs[anyws.LogError], anyws.ErrQueueFull.Error())

	require.Empty(t, logs.find("anyws: peer opened"), "connections are Debug")
	mu.Lock()
	defer mu.Unlock()
	require.True(t, slices.ContainsFunc(hooked, func(s string) bool { return strings.Contains(s, "hook panicked") }), "the Error hook still gets it: %q", hooked)
	require.Len(t, hooked, 3)
}

// failingBroker cannot start.
type failingBroker struct{}

func (failingBroker) Start(string, func(pubsub.Message), func(error)) error {
	return errors.New("no server")
}
func (failingBroker) Subscribe(string) error       { return nil }
func (failingBroker) Unsubscribe(string) error     { return nil }
func (failingBroker) Publish(pubsub.Message) error { return nil }
func (failingBroker) Close() error                 { return nil }
