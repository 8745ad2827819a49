package sse_test

import (
	"encoding/json"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// TestResumeBeforeAnyMessage: the hello's id is the claim, so a client
// whose connection dropped before its first message (a browser's
// EventSource resends the hello's id) still gets its peer back, with
// what was sent meanwhile. The hello was once sent without its id.
func TestResumeBeforeAnyMessage(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, hub: &anyws.Options{}})
			c := open(t, e.client, e.url)
			p := e.rec.peer(t)
			ev := c.next(t)
			require.Equal(t, sse.HelloEvent, ev.Type)
			require.True(t, ev.HasID, "the hello carries an id: %q", c.rawString())
			c.stop()
			require.NoError(t, p.Send("while away"))

			again := open(t, e.client, e.url, "Last-Event-ID", ev.ID)
			hello := again.next(t)
			var h sse.Hello
			require.NoError(t, json.Unmarshal(hello.Data, &h))
			require.True(t, h.Resumed, "claim %q: %s", ev.ID, hello.Data)
			require.Equal(t, "while away", again.message(t))
		})
	}
}
