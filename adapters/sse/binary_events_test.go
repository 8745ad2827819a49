package sse_test

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// dataURLText is a text message that looks like crossws's binary data
// URL (issue 16 item 10).
const dataURLText = "data:application/octet-stream;base64,aGk="

// TestBinaryEvents: a stream that asks for binary events gets binary as
// `event: binary` (base64, no prefix) and text, however it looks, as
// `event: message`; a stream that does not ask (crossws's client, native
// EventSource) gets crossws's data URL, byte for byte as before, and
// cannot tell the two apart. One publish reaches both kinds of stream.
func TestBinaryEvents(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, hooks: func(r *recorder) anyws.Hooks {
				h := r.hooks()
				open := h.Open
				h.Open = func(p *anyws.Peer) { p.Subscribe("t"); open(p) }
				return h
			}})
			asks := open(t, e.client, e.url, sse.BinaryEventsHeader, sse.BinaryEvents)
			e.rec.peer(t)
			plain := open(t, e.client, e.url)
			e.rec.peer(t)
			require.Equal(t, sse.BinaryEvents, asks.resp.Header.Get(sse.BinaryEventsHeader), "the grant")
			require.Empty(t, plain.resp.Header.Values(sse.BinaryEventsHeader), "no grant to a client that did not ask")

			e.hub.Publish("t", dataURLText)
			e.hub.Publish("t", []byte("hi"))
			e.hub.Publish("t", []byte{})

			for _, want := range []sse.Event{
				{Type: "message", Data: []byte(dataURLText)},
				{Type: "binary", Data: []byte("aGk=")},
				{Type: "binary", Data: []byte("")},
			} {
				ev := asks.next(t)
				require.Equal(t, want.Type, ev.Type)
				require.Equal(t, string(want.Data), string(ev.Data))
			}
			require.Equal(t, dataURLText, plain.message(t))
			require.Equal(t, dataURLText, plain.message(t), "crossws's convention: the same bytes as the text")
			require.Equal(t, "data:application/octet-stream;base64,", plain.message(t))
		})
	}
}
