package anyws_test

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

func TestEventNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a\nb", "a\rb", "a\x00b", "\xff", "open", "error", "close", "reconnecting", "crossws-id", "anyws"} {
		_, err := anyws.Event{Name: name, Data: "x"}.Message()
		require.ErrorIs(t, err, anyws.ErrEventName, "%q", name)
		require.ErrorIs(t, anyws.CheckEventName(name), anyws.ErrEventName, "%q", name)
	}
	for _, name := range []string{"", "message", "ping", "user.joined", " spaced ", "é"} {
		require.NoError(t, anyws.CheckEventName(name), "%q", name)
	}
	m, err := anyws.Event{Name: "ping", Data: "hi", Comment: "c"}.Message()
	require.NoError(t, err)
	require.Equal(t, "ping", m.EventName())
	require.Equal(t, "c", m.Comment())
	require.Equal(t, "hi", m.Text())
	m, err = anyws.Event{Name: "message", Data: []byte{1}}.Message()
	require.NoError(t, err)
	require.Equal(t, "", m.EventName(), "message is the default name")
	require.True(t, m.IsBinary())
	_, err = anyws.Event{Name: "x", Data: anyws.Event{Name: "y", Data: "z"}}.Message()
	require.ErrorContains(t, err, "cannot be an Event")
	_, err = anyws.Event{Name: "x"}.Message()
	require.ErrorContains(t, err, "nil")
	require.Equal(t, "", anyws.Text("plain").EventName())
}

// TestSendEventRefused: Send and Publish refuse a bad name with the
// error, and queue nothing.
func TestSendEventRefused(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, nil)
	defer hub.Close()
	err := hub.Publish("t", anyws.Event{Name: "evil\ndata: injected", Data: "x"})
	require.ErrorIs(t, err, anyws.ErrEventName)
	require.ErrorContains(t, err, "CR, LF or NUL")
}
