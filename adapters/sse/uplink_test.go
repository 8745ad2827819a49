package sse_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

func TestUplinkPerMessage(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			bin := []byte{0, 0xff, 1, '\n'}
			sends := []struct {
				ct   string
				body []byte
			}{
				{"text/plain;charset=UTF-8", []byte("hello")},
				{"", []byte("no content type is text")},
				{"application/octet-stream", bin},
				{"text/plain", []byte("multi\nline, with comma")},
				{"text/plain", []byte("")},
				{"application/octet-stream", []byte("bytes")},
			}
			for _, s := range sends {
				status, body := post(t, e.client, e.url, tok, s.ct, s.body)
				require.Equal(t, http.StatusNoContent, status, body)
			}
			for _, s := range sends {
				got := e.rec.msg(t)
				require.Equal(t, s.ct == "application/octet-stream", got.IsBinary())
				require.Equal(t, string(s.body), string(got.Bytes()))
			}
		})
	}
}

func TestUplinkEcho(t *testing.T) {
	t.Parallel()
	// The crossws demo's loop: the Message hook replies on the stream.
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}, hooks: func(r *recorder) anyws.Hooks {
		h := r.hooks()
		h.Message = func(p *anyws.Peer, m anyws.Message) {
			if m.Text() == "ping" {
				_ = p.Send("pong")
				return
			}
			_ = p.Send(m)
		}
		return h
	}})
	c := open(t, e.client, e.url)
	tok := c.token(t)
	status, _ := post(t, e.client, e.url, tok, "text/plain", []byte("ping"))
	require.Equal(t, 204, status)
	require.Equal(t, "pong", c.message(t))
	status, _ = post(t, e.client, e.url, tok, "application/octet-stream", []byte{1, 2})
	require.Equal(t, 204, status)
	require.Equal(t, "data:application/octet-stream;base64,AQI=", c.message(t))
}

// TestUplinkRawStream is crossws's stream mode: one chunked POST whose
// every chunk is a text message. Each chunk is written only after the
// previous one reached the hook, since the transport may merge chunks.
func TestUplinkRawStream(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			sp := startPost(t, e.client, e.url, c.token(t), "application/octet-stream")
			for _, s := range []string{"ping", "debug", "a\nb", "héllo wörld"} {
				sp.write(t, s)
				got := e.rec.msg(t)
				require.False(t, got.IsBinary())
				require.Equal(t, s, got.Text())
			}
			// A rune split between two chunks is not refused: it is
			// carried over to the next message.
			sp.write(t, "x\xc3")
			require.Equal(t, "x", e.rec.msg(t).Text())
			sp.write(t, "\xa9y")
			require.Equal(t, "éy", e.rec.msg(t).Text())
			status, body := sp.finish(t)
			require.Equal(t, http.StatusOK, status)
			require.Empty(t, body)
		})
	}
}

// TestUplinkFramed sends 1,000 messages, text and binary, on one framed
// streaming POST; they arrive in order. Over HTTP/2 the stream and the
// uplink share one connection.
func TestUplinkFramed(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			sp := startPost(t, e.client, e.url, c.token(t), "text/event-stream")
			const n = 1000
			go func() {
				for i := range n {
					var ev string
					if i%3 == 2 {
						ev = "event: binary\ndata: " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "bin\x00%d", i)) + "\n\n"
					} else {
						ev = fmt.Sprintf("data: text %d\ndata: line 2\n\n", i)
					}
					if _, err := sp.w.Write([]byte(ev)); err != nil {
						return
					}
				}
				_ = sp.w.Close()
			}()
			for i := range n {
				got := e.rec.msg(t)
				if i%3 == 2 {
					require.True(t, got.IsBinary(), "message %d", i)
					require.Equal(t, fmt.Sprintf("bin\x00%d", i), got.Text())
				} else {
					require.False(t, got.IsBinary(), "message %d", i)
					require.Equal(t, fmt.Sprintf("text %d\nline 2", i), got.Text())
				}
			}
			status, body := sp.response(t)
			require.Equal(t, http.StatusNoContent, status, body)
			if m != h1 {
				require.Equal(t, 2, c.resp.ProtoMajor)
			}
			// The stream still works while and after the uplink ran.
			p := e.hub.Peers()[0]
			require.NoError(t, p.Send("done"))
			require.Equal(t, "done", c.message(t))
		})
	}
}

// TestUplinkFramedFullDuplex reads replies on the stream while the same
// framed POST is still open: what a Go client over HTTP/2 does.
func TestUplinkFramedFullDuplex(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}, hooks: func(r *recorder) anyws.Hooks {
				h := r.hooks()
				h.Message = func(p *anyws.Peer, m anyws.Message) { _ = p.Send("echo " + m.Text()) }
				return h
			}})
			c := open(t, e.client, e.url)
			sp := startPost(t, e.client, e.url, c.token(t), "text/event-stream")
			for i := range 20 {
				sp.write(t, fmt.Sprintf("data: %d\n\n", i))
				require.Equal(t, fmt.Sprint("echo ", i), c.message(t))
			}
			status, _ := sp.finish(t)
			require.Equal(t, http.StatusNoContent, status)
		})
	}
}

func TestUplinkRequestHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	c := open(t, e.client, e.url)
	tok := c.token(t)
	// Content-Type parameters and case do not matter.
	status, _ := post(t, e.client, e.url, tok, "Application/Octet-Stream; x=1", []byte{9})
	require.Equal(t, 204, status)
	require.True(t, e.rec.msg(t).IsBinary())
	sp := startPost(t, e.client, e.url, tok, "text/event-stream; charset=utf-8")
	sp.write(t, "data: framed\n\n")
	require.Equal(t, "framed", e.rec.msg(t).Text())
	status, _ = sp.finish(t)
	require.Equal(t, 204, status)
	// A framed body with a length is still framed.
	status, _ = post(t, e.client, e.url, tok, "text/event-stream", []byte("data: a\n\ndata: b\n\n"))
	require.Equal(t, 204, status)
	require.Equal(t, "a", e.rec.msg(t).Text())
	require.Equal(t, "b", e.rec.msg(t).Text())
	require.True(t, strings.HasPrefix(c.resp.Header.Get("Content-Type"), "text/event-stream"))
}

func TestUplinkRawStreamInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	c := open(t, e.client, e.url)
	sp := startPost(t, e.client, e.url, c.token(t), "application/octet-stream")
	sp.write(t, "fine")
	require.Equal(t, "fine", e.rec.msg(t).Text())
	sp.write(t, "bad \xff")
	status, body := sp.response(t)
	requireAnywsError(t, status, 400, body, "UTF-8")
	require.Len(t, e.hub.Peers(), 1)
}
