package wire_test

import (
	"testing"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/wire"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	msgs := []pubsub.Message{
		{Topic: "chat", Namespace: "/room", Data: []byte("hi"), Node: "n1"},
		{Topic: "", Namespace: "", Data: []byte{0, 0xff, '\r', '\n'}, Binary: true, Node: "n2"},
		{Topic: "t", Data: []byte("named"), Node: "n3", Event: "ping", Comment: "a\nb"},
		{Topic: "t", Data: []byte{1}, Binary: true, Node: "n4", Comment: "comment only"},
		{Topic: "t", Data: []byte("h"), Node: "n5", Sender: "peer", Position: pubsub.Position{Epoch: "e1", Offset: 1 << 40}},
		{Topic: "t", Data: []byte("h"), Node: "n6", Event: "x", Position: pubsub.Position{Epoch: "e", Offset: 1}},
	}
	for _, m := range msgs {
		e, err := wire.Decode(wire.AppendPublish(nil, m))
		require.NoError(t, err)
		require.Equal(t, wire.KindPublish, e.Kind)
		require.Equal(t, m, e.Msg)
	}
	// A publish without an event name is encoded as before names existed.
	plain := wire.AppendPublish(nil, msgs[0])
	require.Equal(t, byte(0), plain[2], "flags of a plain text publish")
	e, err := wire.Decode(wire.AppendRequest(nil, 42, "from", "svc", []byte("p")))
	require.NoError(t, err)
	require.Equal(t, wire.Envelope{Kind: wire.KindRequest, ID: 42, From: "from", Service: "svc", Payload: []byte("p")}, e)
	e, err = wire.Decode(wire.AppendReply(nil, 7, wire.ReplyNoService, nil))
	require.NoError(t, err)
	require.Equal(t, wire.Envelope{Kind: wire.KindReply, ID: 7, Status: wire.ReplyNoService, Payload: []byte{}}, e)
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	full := wire.AppendPublish(nil, pubsub.Message{Topic: "topic", Node: "node"})
	for _, b := range [][]byte{nil, {0xA1}, []byte("hello"), {0xA1, 9}, full[:5]} {
		_, err := wire.Decode(b)
		require.ErrorIs(t, err, wire.ErrMalformed, "%q", b)
	}
}
