package sse_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/sse"
)

// msg builds an expected event of type "message".
func msg(data string) sse.Event { return sse.Event{Type: "message", Data: []byte(data)} }

func withID(ev sse.Event, id string, has bool) sse.Event {
	ev.ID, ev.HasID = id, has
	return ev
}

func withType(ev sse.Event, typ string) sse.Event {
	ev.Type = typ
	return ev
}

func withRetry(ev sse.Event, d time.Duration) sse.Event {
	ev.Retry = d
	return ev
}

func TestParser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  []sse.Event
		last  string        // LastEventID at the end
		retry time.Duration // Retry at the end; -1 for none
	}{
		{"empty stream", "", nil, "", -1},
		{"only blank lines", "\n\r\n\r\n\n", nil, "", -1},
		{"simple", "data: hello\n\n", []sse.Event{msg("hello")}, "", -1},
		{"two events", "data: a\n\ndata: b\n\n", []sse.Event{msg("a"), msg("b")}, "", -1},

		// BOM
		{"BOM stripped", "\xEF\xBB\xBFdata: a\n\n", []sse.Event{msg("a")}, "", -1},
		{"BOM stripped once", "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", []sse.Event{msg("b")}, "", -1},
		{"BOM only at start", "data: a\n\n\xEF\xBB\xBFdata: b\n\n", []sse.Event{msg("a")}, "", -1},
		{"BOM alone", "\xEF\xBB\xBF", nil, "", -1},
		{"partial BOM is not a BOM", "\xEF\xBBdata: a\n\ndata: b\n\n", []sse.Event{msg("b")}, "", -1},
		{"BOM then blank line", "\xEF\xBB\xBF\ndata: a\n\n", []sse.Event{msg("a")}, "", -1},

		// line endings
		{"CRLF", "data: a\r\ndata: b\r\n\r\n", []sse.Event{msg("a\nb")}, "", -1},
		{"CR", "data: a\rdata: b\r\r", []sse.Event{msg("a\nb")}, "", -1},
		{"mixed", "data: a\r\n\rdata: b\n\r\n", []sse.Event{msg("a"), msg("b")}, "", -1},
		{"LF CR is two line ends", "data: a\n\rdata: b\n\n", []sse.Event{msg("a"), msg("b")}, "", -1},
		{"CR CR LF", "data: a\r\r\ndata: b\n\n", []sse.Event{msg("a"), msg("b")}, "", -1},
		{"CRLF CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []sse.Event{msg("a"), msg("b")}, "", -1},

		// comments and field syntax
		{"comments", ": hi\ndata: a\n:\n:: x\n\n", []sse.Event{msg("a")}, "", -1},
		{"comment-only block", ": keep-alive\n\n", nil, "", -1},
		{"no space", "data:a\n\n", []sse.Event{msg("a")}, "", -1},
		{"one space stripped", "data:  a\n\n", []sse.Event{msg(" a")}, "", -1},
		{"tab kept", "data:\ta\n\n", []sse.Event{msg("\ta")}, "", -1},
		{"trailing space kept", "data: a \n\n", []sse.Event{msg("a ")}, "", -1},
		{"colon in value", "data: a: b\n\n", []sse.Event{msg("a: b")}, "", -1},
		{"field without colon", "data\n\n", []sse.Event{msg("")}, "", -1},
		{"two fields without colon", "data\ndata\n\n", []sse.Event{msg("\n")}, "", -1},
		{"empty value", "data:\n\n", []sse.Event{msg("")}, "", -1},
		{"space only value", "data: \n\n", []sse.Event{msg("")}, "", -1},
		{"trailing newline in data", "data: a\ndata:\n\n", []sse.Event{msg("a\n")}, "", -1},
		{"multi-line", "data: a\ndata: b\ndata: c\n\n", []sse.Event{msg("a\nb\nc")}, "", -1},
		{"unknown fields ignored", "foo: bar\nDATA: x\ndata : y\nevent2: z\ndata: a\n\n", []sse.Event{msg("a")}, "", -1},
		{"unknown fields do not dispatch", "foo: bar\n\n", nil, "", -1},
		{"NUL in data kept", "data: a\x00b\n\n", []sse.Event{msg("a\x00b")}, "", -1},
		{"unicode", "data: héllo 世界 🎉\n\n", []sse.Event{msg("héllo 世界 🎉")}, "", -1},

		// event type
		{"type", "event: add\ndata: 1\n\n", []sse.Event{withType(msg("1"), "add")}, "", -1},
		{"type reset after dispatch", "event: add\ndata: 1\n\ndata: 2\n\n", []sse.Event{withType(msg("1"), "add"), msg("2")}, "", -1},
		{"type reset without dispatch", "event: x\n\ndata: y\n\n", []sse.Event{msg("y")}, "", -1},
		{"empty type is message", "event\ndata: a\n\n", []sse.Event{msg("a")}, "", -1},
		{"last type wins", "event: a\nevent: b\ndata: x\n\n", []sse.Event{withType(msg("x"), "b")}, "", -1},
		{"type only, no data", "event: a\n\n", nil, "", -1},

		// id
		{
			"id persists", "id: 1\ndata: a\n\ndata: b\n\n",
			[]sse.Event{withID(msg("a"), "1", true), withID(msg("b"), "1", false)}, "1", -1,
		},
		{
			"empty id resets", "id: 1\ndata: a\n\nid\ndata: b\n\ndata: c\n\n",
			[]sse.Event{withID(msg("a"), "1", true), withID(msg("b"), "", true), msg("c")}, "", -1,
		},
		{
			"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
			[]sse.Event{withID(msg("a"), "1", true), withID(msg("b"), "1", false)}, "1", -1,
		},
		{"id-only block", "id: 5\n\ndata: x\n\n", []sse.Event{withID(msg("x"), "5", true)}, "5", -1},
		{"id-only block at end commits", "data: x\n\nid: 5\n\n", []sse.Event{msg("x")}, "5", -1},
		{"id of unterminated event not committed", "data: a\n\nid: 9\ndata: b\n", []sse.Event{msg("a")}, "", -1},
		{"id after data in block", "data: a\nid: 3\n\n", []sse.Event{withID(msg("a"), "3", true)}, "3", -1},
		{"id with spaces", "id:  a b \ndata: x\n\n", []sse.Event{withID(msg("x"), " a b ", true)}, " a b ", -1},

		// retry
		{"retry", "retry: 10\ndata: a\n\n", []sse.Event{withRetry(msg("a"), 10*time.Millisecond)}, "", 10 * time.Millisecond},
		{"retry no space", "retry:10\ndata: a\n\n", []sse.Event{withRetry(msg("a"), 10*time.Millisecond)}, "", 10 * time.Millisecond},
		{"retry zero", "retry: 0\n", nil, "", 0},
		{"retry-only block", "retry: 5000\n\n", nil, "", 5 * time.Second},
		{"retry applies without dispatch", "retry: 7\n", nil, "", 7 * time.Millisecond},
		{"retry non-digit ignored", "retry: 1a\n", nil, "", -1},
		{"retry negative ignored", "retry: -1\n", nil, "", -1},
		{"retry two spaces ignored", "retry:  10\n", nil, "", -1},
		{"retry decimal ignored", "retry: 1.5\n", nil, "", -1},
		{"retry empty ignored", "retry:\nretry\n", nil, "", -1},
		{"retry overflow ignored", "retry: 99999999999999999999\n", nil, "", -1},
		{"retry invalid keeps previous", "retry: 5\nretry: x\n", nil, "", 5 * time.Millisecond},
		{
			"event retry is since last dispatch", "retry: 5\ndata: a\n\ndata: b\n\n",
			[]sse.Event{withRetry(msg("a"), 5*time.Millisecond), msg("b")}, "", 5 * time.Millisecond,
		},

		// end of stream
		{"unterminated event dropped", "data: a\n\ndata: b\n", []sse.Event{msg("a")}, "", -1},
		{"unterminated line dropped", "data: a\n\ndata: b", []sse.Event{msg("a")}, "", -1},
		{"unterminated retry line ignored", "retry: 5", nil, "", -1},
		{"CR at end terminates line", "data: a\r\r", []sse.Event{msg("a")}, "", -1},

		// UTF-8 decoding, as the WHATWG decoder (maximal subparts)
		{"invalid byte", "data: a\xffb\n\n", []sse.Event{msg("a\uFFFDb")}, "", -1},
		{
			"unicode standard example", "data: \x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64\n\n",
			[]sse.Event{msg("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd")}, "", -1,
		},
		{"overlong", "data: \xC0\xAF\n\n", []sse.Event{msg("\uFFFD\uFFFD")}, "", -1},
		{"surrogate", "data: \xED\xA0\x80\n\n", []sse.Event{msg("\uFFFD\uFFFD\uFFFD")}, "", -1},
		{"above U+10FFFF", "data: \xF4\x90\x80\x80\n\n", []sse.Event{msg("\uFFFD\uFFFD\uFFFD\uFFFD")}, "", -1},
		{"truncated at line end", "data: \xF0\x9F\x98\n\n", []sse.Event{msg("\uFFFD")}, "", -1},
		{"truncated before ASCII", "data: \xF0\x9F\x98a\n\n", []sse.Event{msg("\uFFFDa")}, "", -1},
		{
			"invalid type and id", "event: \xE2\x82\nid: x\xFF\ndata: a\n\n",
			[]sse.Event{withID(withType(msg("a"), "\uFFFD"), "x\uFFFD", true)}, "x\uFFFD", -1,
		},
		{"replacement char itself", "data: \uFFFD\n\n", []sse.Event{msg("\uFFFD")}, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := refResult{Events: tt.want, LastID: tt.last}
			if tt.retry >= 0 {
				want.Retry, want.HasRetry = tt.retry, true
			}
			require.Equal(t, want, refParse([]byte(tt.in)), "reference implementation")
			for _, rk := range readerKinds {
				got, err := parseAll(sse.NewParser(rk.wrap(strings.NewReader(tt.in)), 0))
				require.ErrorIs(t, err, io.EOF, rk.name)
				require.Equal(t, want, got, rk.name)
			}
		})
	}
}

// TestParserChunkBoundaries splits each stream at every position into two
// reads, so that CR|LF, the BOM and every field is cut somewhere.
func TestParserChunkBoundaries(t *testing.T) {
	t.Parallel()
	streams := []string{
		"\xEF\xBB\xBFdata: a\r\n\r\nid: 1\r\nevent: e\rdata: b\r\r",
		"data: x\r\n\r\n",
		"retry: 10\r\nid: \xE2\x82\xAC\r\ndata: \xF0\x9F\x8E\x89\r\n\r\n",
	}
	for _, s := range streams {
		want := refParse([]byte(s))
		for i := 0; i <= len(s); i++ {
			r := &chunkReader{chunks: []string{s[:i], s[i:]}}
			got, err := parseAll(sse.NewParser(r, 0))
			require.ErrorIs(t, err, io.EOF)
			require.Equal(t, want, got, "split at %d", i)
		}
	}
}

type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// TestParserCRDoesNotBlock checks that an event ended by CR CR is returned
// at once, without waiting to see whether an LF follows.
func TestParserCRDoesNotBlock(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pr.Close()
	p := sse.NewParser(pr, 0)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = pw.Write([]byte("data: x\r\r"))
	}()
	ev, err := p.Next()
	require.NoError(t, err)
	require.Equal(t, msg("x"), ev)
	<-done

	go func() { _, _ = pw.Write([]byte("\ndata: y\r\n\r\n")); _ = pw.Close() }()
	ev, err = p.Next()
	require.NoError(t, err)
	require.Equal(t, msg("y"), ev, "the LF after the CR belonged to nothing: it is a blank line, not a second line end")
	_, err = p.Next()
	require.ErrorIs(t, err, io.EOF)
}

func TestParserTooLarge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		max  int
		in   string
		ok   int   // events before the error
		err  error // the error after them
	}{
		{"data at the limit", 4, "data: abcd\n\n", 1, io.EOF},
		{"data over the limit", 4, "data: abcde\n\n", 0, sse.ErrTooLarge},
		{"accumulated data over the limit", 4, "data: ab\ndata: cd\n\n", 0, sse.ErrTooLarge},
		{"accumulated data at the limit", 5, "data: ab\ndata: cd\n\n", 1, io.EOF},
		{"replacement grows data", 4, "data: \xFF\xFF\n\n", 0, sse.ErrTooLarge},
		{"long comment line", 4, "data: a\n\n:" + strings.Repeat("x", 100) + "\n", 1, sse.ErrTooLarge},
		{"long unterminated line", 4, "data: a\n\n:" + strings.Repeat("x", 100), 1, sse.ErrTooLarge},
		{"long line across reads", 10, "data: a\n\n" + strings.Repeat("x", 10000) + "\n", 1, sse.ErrTooLarge},
		{"line with field name fits", 4, "event: abcd\ndata: abcd\n\n", 1, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, rk := range readerKinds {
				p := sse.NewParser(rk.wrap(strings.NewReader(tt.in)), tt.max)
				got, err := parseAll(p)
				require.Len(t, got.Events, tt.ok, rk.name)
				require.ErrorIs(t, err, tt.err, rk.name)
				require.True(t, err == io.EOF || strings.HasPrefix(err.Error(), "sse: "), err.Error())
				_, err2 := p.Next()
				require.Equal(t, err, err2, "errors are sticky")
			}
		})
	}

	t.Run("default limit", func(t *testing.T) {
		t.Parallel()
		payload := bytes.Repeat([]byte("x"), sse.DefaultMaxEventSize)
		stream, err := sse.AppendEvent(nil, sse.Event{Data: payload})
		require.NoError(t, err)
		ev, err := sse.NewParser(bytes.NewReader(stream), 0).Next()
		require.NoError(t, err)
		require.Equal(t, payload, ev.Data)

		stream, err = sse.AppendEvent(nil, sse.Event{Data: append(payload, 'x')})
		require.NoError(t, err)
		_, err = sse.NewParser(bytes.NewReader(stream), 0).Next()
		require.ErrorIs(t, err, sse.ErrTooLarge)
	})
}

func TestParserReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")

	t.Run("error after events", func(t *testing.T) {
		t.Parallel()
		r := io.MultiReader(strings.NewReader("data: a\n\ndata: partial\n"), iotest.ErrReader(boom))
		got, err := parseAll(sse.NewParser(r, 0))
		require.ErrorIs(t, err, boom)
		require.Equal(t, []sse.Event{msg("a")}, got.Events)
	})
	t.Run("sticky", func(t *testing.T) {
		t.Parallel()
		p := sse.NewParser(iotest.ErrReader(boom), 0)
		_, err := p.Next()
		require.ErrorIs(t, err, boom)
		_, err = p.Next()
		require.ErrorIs(t, err, boom)
	})
	t.Run("timeout reader", func(t *testing.T) {
		t.Parallel()
		r := iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("data: a\n\n")))
		_, err := sse.NewParser(r, 0).Next()
		require.ErrorIs(t, err, iotest.ErrTimeout)
	})
	t.Run("no progress", func(t *testing.T) {
		t.Parallel()
		_, err := sse.NewParser(emptyReader{}, 0).Next()
		require.ErrorIs(t, err, io.ErrNoProgress)
	})
	t.Run("bad count", func(t *testing.T) {
		t.Parallel()
		_, err := sse.NewParser(badReader{}, 0).Next()
		require.Error(t, err)
		require.True(t, strings.HasPrefix(err.Error(), "sse: "), err.Error())
	})
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

type badReader struct{}

func (badReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestParserDataIsFresh(t *testing.T) {
	t.Parallel()
	p := sse.NewParser(strings.NewReader("data: first\n\ndata: second\n\n"), 0)
	a, err := p.Next()
	require.NoError(t, err)
	b, err := p.Next()
	require.NoError(t, err)
	require.Equal(t, "first", string(a.Data))
	require.Equal(t, "second", string(b.Data))
}
