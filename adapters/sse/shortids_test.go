package sse_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/sse"
	"github.com/stretchr/testify/require"
)

// TestShortIDs: a resumable stream whose client asks for short ids gets
// the grant, the full claim on its hello only and each message's number
// alone as its id; a stream that does not ask gets the claim on every
// message, as a browser's EventSource needs. The claim a client makes
// from the hello's key and the last number resumes the peer.
func TestShortIDs(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, hub: &anyws.Options{}})
			short := open(t, e.client, e.url, sse.ShortIDsHeader, sse.ShortIDs)
			ps := e.rec.peer(t)
			full := open(t, e.client, e.url)
			pf := e.rec.peer(t)
			require.Equal(t, sse.ShortIDs, short.resp.Header.Get(sse.ShortIDsHeader), "the grant")
			require.Empty(t, full.resp.Header.Values(sse.ShortIDsHeader), "no grant to a client that did not ask")

			hello := func(c *client) string {
				t.Helper()
				ev := c.next(t)
				require.Equal(t, sse.HelloEvent, ev.Type)
				require.Regexp(t, `^[^:]+:0$`, ev.ID, "the hello carries the whole claim; raw %q", c.rawString())
				return ev.ID
			}
			shortHello, fullHello := hello(short), hello(full)
			key := fullHello[:len(fullHello)-len(":0")]
			for i := 1; i <= 3; i++ {
				require.NoError(t, ps.Send("s"+strconv.Itoa(i)))
				require.NoError(t, pf.Send("f"+strconv.Itoa(i)))
				ev := short.next(t)
				require.Equal(t, "s"+strconv.Itoa(i), string(ev.Data))
				require.Equal(t, strconv.Itoa(i), ev.ID, "a short id is the number alone")
				ev = full.next(t)
				require.Equal(t, "f"+strconv.Itoa(i), string(ev.Data))
				require.Equal(t, key+":"+strconv.Itoa(i), ev.ID)
			}

			// The client got 2 of 3 before its connection dropped: its
			// claim resumes the same peer with the third.
			short.stop()
			claim := sse.ShortIDClaim(shortHello, "2")
			again := open(t, e.client, e.url, sse.ShortIDsHeader, sse.ShortIDs, "Last-Event-ID", claim)
			ev := again.next(t)
			require.Equal(t, sse.HelloEvent, ev.Type)
			var h sse.Hello
			require.NoError(t, json.Unmarshal(ev.Data, &h))
			require.True(t, h.Resumed, "claim %q resumes the peer (hello %s)", claim, ev.Data)
			require.Equal(t, shortHello[:len(shortHello)-1]+"2", ev.ID)
			ev = again.next(t)
			require.Equal(t, "s3", string(ev.Data))
			require.Equal(t, "3", ev.ID)
		})
	}
}
