package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	wsadapter "github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/client"
	"github.com/anyws/anyws/internal/test/faultproxy"
	"github.com/anyws/anyws/websocketsse"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// serveThroughProxy serves a WebSocket Hub behind a cutting proxy.
func serveThroughProxy(t *testing.T, hooks anyws.Hooks, opts *anyws.Options) (string, *faultproxy.Proxy) {
	t.Helper()
	hub := anyws.New(hooks, opts)
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = hub.Close() })
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() })
	return "ws://" + proxy.Addr() + "/", proxy
}

var fastReconnect = websocketsse.Reconnect{MaxAttempts: 50, InitialDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

// TestResumeSamePeer: a cut connection is resumed by itself: the same
// peer answers, and a message sent meanwhile arrives.
func TestResumeSamePeer(t *testing.T) {
	t.Parallel()
	url, proxy := serveThroughProxy(t, anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(p.ID()) },
	}, &anyws.Options{ResumeWindow: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, Reconnect: fastReconnect})
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("who")))
	_, id1, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Cut())
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("who")))
	_, id2, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, string(id1), string(id2), "a new peer answered after the cut")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

// TestResumeFailed: when the server no longer has the peer, Read says so
// with a *ResumeError (messages may be lost) instead of going on as a
// new peer.
func TestResumeFailed(t *testing.T) {
	t.Parallel()
	url, proxy := serveThroughProxy(t, anyws.Hooks{}, &anyws.Options{ResumeWindow: time.Nanosecond})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, Reconnect: fastReconnect})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, 1, proxy.Cut())
	_, _, err = c.Read(ctx)
	var re *client.ResumeError
	require.True(t, errors.As(err, &re), "Read: %v", err)
	require.Equal(t, "unknown", re.Reason)
	require.ErrorAs(t, c.Write(ctx, websocket.MessageText, []byte("x")), &re)
}

// TestNoResumeWithoutRecovery: against a server with recovery off, a
// drop ends the Conn, as plain WebSocket does.
func TestNoResumeWithoutRecovery(t *testing.T) {
	t.Parallel()
	url, proxy := serveThroughProxy(t, anyws.Hooks{}, &anyws.Options{ResumeWindow: -1})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := client.Dial(ctx, url, &client.Options{Transport: client.TransportWebSocket, Reconnect: fastReconnect})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, 1, proxy.Cut())
	_, _, err = c.Read(ctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
}
