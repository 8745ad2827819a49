package sse_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/sse"
)

var raceEnabled bool

func TestAppendEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   sse.Event
		want string
	}{
		{"empty data still dispatches", sse.Event{}, "data: \n\n"},
		{"nil vs empty data", sse.Event{Data: []byte{}}, "data: \n\n"},
		{"plain", sse.Event{Data: []byte("hello")}, "data: hello\n\n"},
		{"type", sse.Event{Type: "chat", Data: []byte("hi")}, "event: chat\ndata: hi\n\n"},
		{"id", sse.Event{ID: "7", HasID: true, Data: []byte("x")}, "id: 7\ndata: x\n\n"},
		{"empty id resets", sse.Event{HasID: true, Data: []byte("x")}, "id: \ndata: x\n\n"},
		{"id without HasID not written", sse.Event{ID: "7", Data: []byte("x")}, "data: x\n\n"},
		{"retry", sse.Event{Retry: 1500 * time.Millisecond, Data: []byte("x")}, "retry: 1500\ndata: x\n\n"},
		{"retry below 1ms rounds up", sse.Event{Retry: time.Microsecond, Data: []byte("x")}, "retry: 1\ndata: x\n\n"},
		{"retry truncated to ms", sse.Event{Retry: 2*time.Millisecond - 1, Data: []byte("x")}, "retry: 1\ndata: x\n\n"},
		{"negative retry not written", sse.Event{Retry: -time.Second, Data: []byte("x")}, "data: x\n\n"},
		{
			"field order",
			sse.Event{Type: "t", ID: "i", HasID: true, Retry: time.Second, Data: []byte("d")},
			"event: t\nid: i\nretry: 1000\ndata: d\n\n",
		},
		{"LF", sse.Event{Data: []byte("a\nb")}, "data: a\ndata: b\n\n"},
		{"CRLF", sse.Event{Data: []byte("a\r\nb")}, "data: a\ndata: b\n\n"},
		{"CR", sse.Event{Data: []byte("a\rb")}, "data: a\ndata: b\n\n"},
		{"LF CR is two line ends", sse.Event{Data: []byte("a\n\rb")}, "data: a\ndata: \ndata: b\n\n"},
		{"CR CR LF", sse.Event{Data: []byte("a\r\r\nb")}, "data: a\ndata: \ndata: b\n\n"},
		{"trailing LF", sse.Event{Data: []byte("a\n")}, "data: a\ndata: \n\n"},
		{"trailing CRLF", sse.Event{Data: []byte("a\r\n")}, "data: a\ndata: \n\n"},
		{"only LF", sse.Event{Data: []byte("\n")}, "data: \ndata: \n\n"},
		{"leading LF", sse.Event{Data: []byte("\na")}, "data: \ndata: a\n\n"},
		{"leading space kept", sse.Event{Data: []byte(" a\n  b")}, "data:  a\ndata:   b\n\n"},
		{"no comma joining", sse.Event{Data: []byte("a,b\nc")}, "data: a,b\ndata: c\n\n"},
		{"colon in data", sse.Event{Data: []byte("data: x\n\nevent: y")}, "data: data: x\ndata: \ndata: event: y\n\n"},
		{"unicode", sse.Event{Type: "é", Data: []byte("héllo 世界\n🎉")}, "event: é\ndata: héllo 世界\ndata: 🎉\n\n"},
		{"type with colon and spaces", sse.Event{Type: " a:b ", Data: []byte("x")}, "event:  a:b \ndata: x\n\n"},
		{"NUL in data is fine", sse.Event{Data: []byte("a\x00b")}, "data: a\x00b\n\n"},
		{"many CR lines", sse.Event{Data: []byte("a\rb\rc\r")}, "data: a\ndata: b\ndata: c\ndata: \n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := sse.AppendEvent([]byte("prefix|"), tt.ev)
			require.NoError(t, err)
			require.Equal(t, "prefix|"+tt.want, string(got))
		})
	}
}

func TestAppendEventRefusesInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   sse.Event
	}{
		{"type LF", sse.Event{Type: "a\ndata: evil"}},
		{"type CR", sse.Event{Type: "a\rdata: evil"}},
		{"type CRLF", sse.Event{Type: "a\r\n"}},
		{"type NUL", sse.Event{Type: "a\x00b"}},
		{"id LF", sse.Event{ID: "1\n\ndata: evil", HasID: true}},
		{"id CR", sse.Event{ID: "1\r", HasID: true}},
		{"id NUL", sse.Event{ID: "1\x00", HasID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := []byte("keep")
			got, err := sse.AppendEvent(dst, tt.ev)
			require.ErrorIs(t, err, sse.ErrInvalidField)
			require.True(t, strings.HasPrefix(err.Error(), "sse: "), err.Error())
			require.Equal(t, "keep", string(got))
		})
	}

	t.Run("id not sent is not checked", func(t *testing.T) {
		t.Parallel()
		got, err := sse.AppendEvent(nil, sse.Event{ID: "a\nb", Data: []byte("x")})
		require.NoError(t, err)
		require.Equal(t, "data: x\n\n", string(got))
	})
}

func TestAppendComment(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, want string }{
		{"", ": \n"},
		{"ping", ": ping\n"},
		{"a\nb", ": a\n: b\n"},
		{"a\r\nb\rc", ": a\n: b\n: c\n"},
		{"a\n", ": a\n: \n"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, "x"+tt.want, string(sse.AppendComment([]byte("x"), tt.text)))
		})
	}
}

func TestAppendRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{3 * time.Second, "retry: 3000\n\n"},
		{0, "retry: 0\n\n"},
		{-time.Second, "retry: 0\n\n"},
		{500 * time.Microsecond, "retry: 1\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, string(sse.AppendRetry(nil, tt.d)))
		})
	}
}

func TestAppendRetryParsed(t *testing.T) {
	t.Parallel()
	stream := sse.AppendRetry(nil, 2*time.Second)
	stream, err := sse.AppendEvent(stream, sse.Event{Data: []byte("x")})
	require.NoError(t, err)
	res, err := parseAll(sse.NewParser(strings.NewReader(string(stream)), 0))
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, 2*time.Second, res.Retry)
	require.True(t, res.HasRetry)
	require.Len(t, res.Events, 1)
	require.Equal(t, 2*time.Second, res.Events[0].Retry, "retry-only block precedes the event")
}

// TestAppendEventNoAllocs is not parallel: testing.AllocsPerRun refuses
// to run in parallel tests.
func TestAppendEventNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ev := sse.Event{Type: "t", ID: "42", HasID: true, Retry: time.Second, Data: []byte("line one\r\nline two\rline three\n")}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = sse.AppendEvent(buf[:0], ev)
		if err != nil {
			panic(err)
		}
		buf = sse.AppendComment(buf, "keep\nalive")
		buf = sse.AppendRetry(buf, time.Second)
	})
	require.Zero(t, allocs)
}
