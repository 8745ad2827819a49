package sse_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

func TestCloseByClient(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			p := e.rec.peer(t)
			c.stop() // cancels the request: the browser closed the EventSource

			ce := e.rec.close(t)
			require.Same(t, p, ce.p)
			require.Equal(t, anyws.StatusGoingAway, ce.info.Code)
			require.Nil(t, e.hub.Peer(p.ID()))
			require.ErrorIs(t, p.Send("late"), anyws.ErrClosed)
			// The token died with the peer.
			status, _ := post(t, e.client, e.url, tok, "text/plain", []byte("x"))
			require.Equal(t, 404, status)

			require.NoError(t, e.hub.Shutdown(context.Background()))
			require.EqualValues(t, 1, e.rec.closes.Load(), "Close runs exactly once")
		})
	}
}

func TestCloseByServer(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Retry: -1}})
			c := open(t, e.client, e.url)
			p := e.rec.peer(t)
			require.NoError(t, p.Send("queued before close"))
			require.NoError(t, p.Close(4001, `bye "now"`))

			require.Equal(t, "queued before close", c.message(t))
			ev := c.next(t)
			require.Equal(t, "close", ev.Type)
			require.JSONEq(t, `{"code":4001,"reason":"bye \"now\""}`, string(ev.Data))
			c.ended(t)

			ce := e.rec.close(t)
			require.Equal(t, anyws.CloseInfo{Code: 4001, Reason: `bye "now"`}, ce.info)
			require.NoError(t, e.hub.Shutdown(context.Background()))
			require.EqualValues(t, 1, e.rec.closes.Load())
		})
	}
}

func TestCloseNow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1}})
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	require.NoError(t, p.CloseNow())
	c.cut(t) // at once: no close event, not even the end of the response
	require.Equal(t, anyws.StatusAbnormalClosure, e.rec.close(t).info.Code)
	require.Empty(t, c.rawString())
}

func TestCloseInOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1, Bidirectional: true}})
	e.rec.onOpen = func(p *anyws.Peer) {
		_ = p.Send("welcome")
		_ = p.Close(4000, "go away")
	}
	c := open(t, e.client, e.url)
	require.Equal(t, "welcome", c.message(t))
	for ev := c.next(t); ev.Type != "close"; ev = c.next(t) {
		require.Equal(t, "crossws-id", ev.Type)
	}
	c.ended(t)
	require.Equal(t, anyws.StatusCode(4000), e.rec.close(t).info.Code)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			clients := make([]*client, 5)
			for i := range clients {
				clients[i] = open(t, e.client, e.url)
				clients[i].token(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			require.NoError(t, e.hub.Shutdown(ctx))
			for _, c := range clients {
				ev := c.next(t)
				require.Equal(t, "close", ev.Type)
				require.JSONEq(t, `{"code":1001,"reason":"server shutting down"}`, string(ev.Data))
				c.ended(t)
			}
			require.EqualValues(t, len(clients), e.rec.closes.Load())
			require.Empty(t, e.hub.Peers())

			// New streams are refused once the Hub is closed.
			c := tryOpen(t, e.client, e.url)
			require.Equal(t, 503, c.resp.StatusCode)
		})
	}
}

func TestShutdownUnblocksUplink(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			sp := startPost(t, e.client, e.url, c.token(t), "text/event-stream")
			sp.write(t, "data: one\n\n")
			require.Equal(t, "one", e.rec.msg(t).Text())
			// The uplink is idle in a read; closing the Hub ends the peer
			// and must end the POST too, or the server could never stop.
			require.NoError(t, e.hub.Shutdown(context.Background()))
			status, _ := sp.response(t)
			require.Equal(t, 404, status)
			require.Equal(t, "close", c.next(t).Type)
			c.ended(t)
		})
	}
}

// TestServerTimeoutsCleared: a server-wide WriteTimeout and ReadTimeout
// do not cut streams or streaming uplinks that outlive them.
func TestServerTimeoutsCleared(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			hub := anyws.New(rec.hooks(), &anyws.Options{ResumeWindow: -1})
			h := adapter.New(hub, &adapter.Options{Bidirectional: true, KeepAlive: 20 * time.Millisecond})
			srv := httptest.NewUnstartedServer(h)
			// Short, but not so short that a TLS handshake under -race on a
			// loaded machine outlasts them (the read timeout covers it).
			srv.Config.WriteTimeout = 400 * time.Millisecond
			srv.Config.ReadTimeout = 400 * time.Millisecond
			hc := startServer(t, srv, m)
			t.Cleanup(func() { _ = hub.Close() })

			c := open(t, hc, srv.URL)
			sp := startPost(t, hc, srv.URL, c.token(t), "text/event-stream")
			sp.write(t, "data: first\n\n")
			require.Equal(t, "first", rec.msg(t).Text())
			// 25 keep-alives take at least 500 ms: both timeouts passed.
			require.Eventually(t, func() bool {
				return strings.Count(c.rawString(), ": keep-alive\n") >= 25
			}, wait, 10*time.Millisecond)
			sp.write(t, "data: second\n\n")
			require.Equal(t, "second", rec.msg(t).Text())
			p := rec.peer(t)
			require.NoError(t, p.Send("still streaming"))
			require.Equal(t, "still streaming", c.message(t))
			status, _ := sp.finish(t)
			require.Equal(t, 204, status)
		})
	}
}
