package sse_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/sse"
)

// expectRoundTrip is what a reader gets for ev written by AppendEvent on a
// fresh stream: the same event except that Type "" reads as "message",
// line endings in Data read as LF, invalid UTF-8 reads as U+FFFD, and an
// ID that was not sent reads as the inherited lastID.
func expectRoundTrip(ev sse.Event, lastID string) sse.Event {
	want := sse.Event{
		Type:  refDecode([]byte(ev.Type)),
		Data:  []byte(refDecode([]byte(normalizeEOL(string(ev.Data))))),
		ID:    lastID,
		HasID: ev.HasID,
	}
	if want.Type == "" {
		want.Type = "message"
	}
	if ev.HasID {
		want.ID = refDecode([]byte(ev.ID))
	}
	if ev.Retry > 0 {
		want.Retry = max(ev.Retry.Truncate(time.Millisecond), time.Millisecond)
	}
	return want
}

// TestRoundTripProperty writes random sequences of events, including the
// awkward bytes (CR, LF, spaces, colons, non-ASCII), and reads them back.
func TestRoundTripProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab :\r\n\r\n é世🎉\x00,"
	runes := []rune(alphabet)
	randText := func(n int, field bool) string {
		var sb strings.Builder
		for range rng.IntN(n + 1) {
			r := runes[rng.IntN(len(runes))]
			if field && (r == '\r' || r == '\n' || r == 0) {
				continue
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
	for iter := range 500 {
		var (
			stream []byte
			want   []sse.Event
			lastID string
		)
		for range rng.IntN(5) + 1 {
			ev := sse.Event{
				Data:  []byte(randText(20, false)),
				HasID: rng.IntN(2) == 0,
			}
			if rng.IntN(2) == 0 {
				ev.Type = randText(5, true)
			}
			if ev.HasID {
				ev.ID = randText(5, true)
			}
			if rng.IntN(4) == 0 {
				ev.Retry = time.Duration(rng.Int64N(int64(time.Hour)))
			}
			var err error
			stream, err = sse.AppendEvent(stream, ev)
			require.NoError(t, err)
			w := expectRoundTrip(ev, lastID)
			lastID = w.ID
			want = append(want, w)
		}
		for _, rk := range readerKinds {
			got, err := parseAll(sse.NewParser(rk.wrap(bytes.NewReader(stream)), 0))
			require.ErrorIs(t, err, io.EOF)
			require.Equal(t, want, got.Events, "iteration %d, %s, stream %q", iter, rk.name, stream)
			require.Equal(t, lastID, got.LastID)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("", "", false, []byte(""), int64(0))
	f.Add("chat", "1", true, []byte("hello"), int64(1500))
	f.Add("", "", true, []byte("a\r\nb\rc\nd\n"), int64(0))
	f.Add(" x", " y", true, []byte(" leading\n  spaces"), int64(1))
	f.Add("é", "世", true, []byte("🎉\xff\xe2\x82"), int64(0))
	f.Add("bad\n", "", false, []byte("x"), int64(0))
	f.Fuzz(func(t *testing.T, typ, id string, hasID bool, data []byte, retryMS int64) {
		ev := sse.Event{Type: typ, ID: id, HasID: hasID, Data: data, Retry: time.Duration(retryMS) * time.Millisecond}
		if retryMS > int64(1<<62)/int64(time.Millisecond) || retryMS < 0 {
			ev.Retry = 0
		}
		stream, err := sse.AppendEvent(nil, ev)
		if err != nil {
			require.ErrorIs(t, err, sse.ErrInvalidField)
			require.True(t, strings.ContainsAny(typ, "\r\n\x00") || hasID && strings.ContainsAny(id, "\r\n\x00"))
			return
		}
		p := sse.NewParser(bytes.NewReader(stream), 3*len(stream)+1)
		got, err := p.Next()
		require.NoError(t, err)
		require.Equal(t, expectRoundTrip(ev, ""), got)
		_, err = p.Next()
		require.ErrorIs(t, err, io.EOF)
	})
}
