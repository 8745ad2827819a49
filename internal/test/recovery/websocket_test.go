package recovery_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"sync"
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

// TestWebSocketThroughCuts: Go clients (client.Dial over WebSocket,
// which marks its handshake and resumes by itself) whose connections a
// proxy cuts every 50-500 ms receive every published message exactly
// once, in order, while each sends numbered messages that the Message
// hook sees exactly once, in order, on the same peer.
func TestWebSocketThroughCuts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := make(map[string][]string) // uplink messages by peer id
	var opens sync.Map
	resumes := 0
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			opens.Store(p.ID(), true)
			p.Subscribe("numbers")
			_ = p.Send("0")
		},
		Resume: func(p *anyws.Peer) {
			mu.Lock()
			resumes++
			mu.Unlock()
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			mu.Lock()
			got[p.ID()] = append(got[p.ID()], m.Text())
			mu.Unlock()
		},
	}, &anyws.Options{ResumeWindow: time.Minute})
	srv := httptest.NewServer(wsadapter.New(hub, nil))
	t.Cleanup(srv.Close)
	proxy, err := faultproxy.Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	defer func() { require.NoError(t, proxy.Close()) }()
	defer func() { require.NoError(t, hub.Close()) }()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	clients := make([]*client.Conn, subscribers)
	for i := range clients {
		c, _, err := client.Dial(ctx, "ws://"+proxy.Addr()+"/", &client.Options{
			Transport: client.TransportWebSocket,
			Reconnect: websocketsse.Reconnect{MaxAttempts: 1000, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		})
		require.NoError(t, err)
		defer c.CloseNow()
		_, first, err := c.Read(ctx)
		require.NoError(t, err, "client %d: the Open hook's message", i)
		require.Equal(t, "0", string(first))
		clients[i] = c
	}
	require.Len(t, hub.Peers(), subscribers)

	proxy.CutRandomly(50*time.Millisecond, 500*time.Millisecond)
	errs := make(chan error, 2*subscribers)
	for i, c := range clients {
		go func() { errs <- readNumbers(ctx, c, messages) }()
		if i < senders {
			go func() {
				for n := 1; n <= sends; n++ {
					if err := c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(n))); err != nil {
						errs <- fmt.Errorf("client %d: writing %d: %w", i, n, err)
						return
					}
					if n%10 == 0 {
						time.Sleep(5 * time.Millisecond)
					}
				}
				errs <- nil
			}()
		}
	}
	for n := 1; n <= messages; n++ {
		require.NoError(t, hub.Publish("numbers", strconv.Itoa(n)))
		if n%10 == 0 {
			time.Sleep(5 * time.Millisecond) // spread the run over several cuts
		}
	}
	for range subscribers + senders {
		require.NoError(t, <-errs)
	}
	requireUplinkOnce(t, &mu, got)

	require.Positive(t, proxy.Cuts(), "the proxy cut no connection: the test tested nothing")
	count := 0
	opens.Range(func(any, any) bool { count++; return true })
	require.Equal(t, subscribers, count, "a client got a new peer instead of resuming its own")
	mu.Lock()
	t.Logf("%d cuts, %d resumes, %d messages to %d subscribers, %d from %d senders", proxy.Cuts(), resumes, messages, subscribers, sends, senders)
	require.Positive(t, resumes)
	mu.Unlock()
}
