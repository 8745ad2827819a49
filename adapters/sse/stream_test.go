package sse_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

func TestStreamHeaders(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true, Hooks: anyws.Hooks{
				Upgrade: func(u *anyws.Handshake) error {
					u.Header.Set("X-Powered-By", "cross-ws")
					u.Header.Add("Set-Cookie", "cross-ws=1; SameSite=None; Secure")
					return nil
				},
			}}})
			c := open(t, e.client, e.url)
			h := c.resp.Header
			require.Equal(t, "text/event-stream", h.Get("Content-Type"))
			require.Equal(t, "no-cache, no-transform", h.Get("Cache-Control"))
			require.Equal(t, "no", h.Get("X-Accel-Buffering"))
			require.Equal(t, "cross-ws", h.Get("X-Powered-By"))
			require.Equal(t, "cross-ws=1; SameSite=None; Secure", sorted(h, "Set-Cookie"))
			require.Len(t, h.Get("X-Crossws-Id"), 22) // 128 bits, base64url
			if m == h1 {
				require.Equal(t, 1, c.resp.ProtoMajor)
				// The stream leaves net/http (hijacked): chunked, and the
				// connection is not reused after it.
				require.True(t, c.resp.Close, "Connection: close")
				require.Equal(t, []string{"chunked"}, c.resp.TransferEncoding)
			} else {
				require.Equal(t, 2, c.resp.ProtoMajor)
				require.Empty(t, h.Values("Connection"))
			}
			// Headers arrive before anything else is written: the client
			// sees the stream open even though Open sent nothing yet.
			require.Equal(t, "crossws-id", c.next(t).Type)
		})
	}
}

func TestStreamOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true, Retry: 1500 * time.Millisecond}})
	e.rec.onOpen = func(p *anyws.Peer) {
		_ = p.Send("Welcome " + p.ID())
		_ = p.Send("second")
	}
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	require.Equal(t, "Welcome "+p.ID(), c.message(t))
	require.Equal(t, "second", c.message(t))
	tok := c.token(t)
	require.NoError(t, p.Send("after"))
	require.Equal(t, "after", c.message(t))

	raw := c.rawString()
	require.True(t, strings.HasPrefix(raw, "retry: 1500\n\nevent: message\ndata: Welcome "+p.ID()+"\n\n"), "raw %q", raw)
	require.Contains(t, raw, "event: crossws-id\ndata: "+tok+"\n\nevent: message\ndata: after\n\n")

	// The token is a secret distinct from the public id, 128 bits of hex.
	require.NotEqual(t, p.ID(), tok)
	require.NotContains(t, tok, p.ID())
	require.Regexp(t, "^[A-Za-z0-9_-]{22}$", tok)
	require.Equal(t, "sse", p.Transport())
	require.Equal(t, "/room", p.Namespace())
}

func TestStreamTokensDiffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	a, b := open(t, e.client, e.url), open(t, e.client, e.url)
	require.NotEqual(t, a.token(t), b.token(t))
}

func TestStreamOneWay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1}})
	c := open(t, e.client, e.url, "Last-Event-ID", "42") // accepted, ignored
	p := e.rec.peer(t)
	require.Empty(t, c.resp.Header.Values("X-Crossws-Id"))
	require.NoError(t, p.Send("hello"))
	require.Equal(t, "hello", c.message(t))
	require.Equal(t, "event: message\ndata: hello\n\n", c.rawString(), "no retry, no crossws-id")
}

func TestStreamMultiLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1}})
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	payloads := []struct{ in, want, wire string }{
		{"a\nb", "a\nb", "data: a\ndata: b\n"},
		{"a\r\nb", "a\nb", "data: a\ndata: b\n"},
		{"a\rb", "a\nb", "data: a\ndata: b\n"},
		{"x,y\n\nz\n", "x,y\n\nz\n", "data: x,y\ndata: \ndata: z\ndata: \n"},
		{"", "", "data: \n"},
		{" lead", " lead", "data:  lead\n"},
		{`{"json":["a","b"]}`, `{"json":["a","b"]}`, `data: {"json":["a","b"]}` + "\n"},
	}
	var wire strings.Builder
	for _, tc := range payloads {
		require.NoError(t, p.Send(tc.in))
		require.Equal(t, tc.want, c.message(t), "payload %q", tc.in)
		wire.WriteString("event: message\n" + tc.wire + "\n")
	}
	require.Equal(t, wire.String(), c.rawString())
}

func TestStreamBinary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Retry: -1}})
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	payload := []byte{0, 1, 2, 0xff, '\n', '\r', 'x'}
	require.NoError(t, p.Send(payload))
	want := "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(payload)
	require.Equal(t, want, c.message(t))
	require.Equal(t, "event: message\ndata: "+want+"\n\n", c.rawString())
}

func TestStreamKeepAlive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{KeepAlive: 50 * time.Millisecond, Retry: -1}})
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	require.Eventually(t, func() bool {
		return strings.HasPrefix(c.rawString(), ": keep-alive\n")
	}, wait, 10*time.Millisecond)
	// The stream still works after keep-alives.
	require.NoError(t, p.Send("still here"))
	require.Equal(t, "still here", c.message(t))
}

func TestStreamKeepAliveDisabled(t *testing.T) {
	t.Parallel()
	// With keep-alives off nothing but the retry block and data is
	// written. (That no comment would come later cannot be observed
	// without waiting, so this checks the option is accepted.)
	e := newEnv(t, envConfig{opts: &adapter.Options{KeepAlive: -1}})
	c := open(t, e.client, e.url)
	p := e.rec.peer(t)
	require.NoError(t, p.Send("x"))
	require.Equal(t, "x", c.message(t))
	require.Equal(t, "retry: 3000\n\nevent: message\ndata: x\n\n", c.rawString())
}

func TestStreamPublishShared(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.rec.onOpen = func(p *anyws.Peer) { p.Subscribe("t") }
	// A one-way and a bidirectional handler on one Hub see one publish.
	srv2, client2 := serve(t, adapter.New(e.hub, &adapter.Options{Bidirectional: true}), h1)
	a := open(t, e.client, e.url)
	b := open(t, client2, srv2.URL+"/room")
	e.rec.peer(t)
	e.rec.peer(t)
	b.token(t)
	for i := range 3 {
		require.NoError(t, e.hub.Publish("t", fmt.Sprint("m", i)))
	}
	for i := range 3 {
		require.Equal(t, fmt.Sprint("m", i), a.message(t))
		require.Equal(t, fmt.Sprint("m", i), b.message(t))
	}
}

func TestStreamUpgradeRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Hooks: anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			if strings.HasSuffix(u.Request.URL.RawQuery, "unauthorized") {
				return &anyws.Rejection{Status: http.StatusUnauthorized, Body: "unauthorized",
					Header: http.Header{"X-Error": {"unauthorized"}}}
			}
			return nil
		},
	}}})
	c := tryOpen(t, e.client, e.srv.URL+"/?unauthorized")
	require.Equal(t, http.StatusUnauthorized, c.resp.StatusCode)
	require.Equal(t, "unauthorized", c.resp.Header.Get("X-Error"))
	require.Empty(t, e.hub.Peers())
}
