package sse_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyws/anyws/internal/sse"
)

func TestBinaryData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"empty", []byte{}, sse.BinaryPrefix},
		{"bytes", []byte{0, 1, 2, 0xFF}, sse.BinaryPrefix + "AAEC/w=="},
		{"newlines", []byte("a\r\nb"), sse.BinaryPrefix + "YQ0KYg=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := sse.AppendBinaryData([]byte("x"), tt.payload)
			require.Equal(t, "x"+tt.want, string(data))

			got, ok, err := sse.DecodeBinaryData(data[1:])
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tt.payload, got)

			// Through the wire: binary survives where text would not.
			stream, err := sse.AppendEvent(nil, sse.Event{Data: data[1:]})
			require.NoError(t, err)
			ev, err := sse.NewParser(bytes.NewReader(stream), 0).Next()
			require.NoError(t, err)
			got, ok, err = sse.DecodeBinaryData(ev.Data)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tt.payload, got)
		})
	}
}

func TestDecodeBinaryDataText(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "hello", "data:text/plain;base64,aGk=", sse.BinaryPrefix[:len(sse.BinaryPrefix)-1]} {
		got, ok, err := sse.DecodeBinaryData([]byte(s))
		require.NoError(t, err, s)
		require.False(t, ok, s)
		require.Nil(t, got, s)
	}
}

func TestDecodeBinaryDataInvalid(t *testing.T) {
	t.Parallel()
	got, ok, err := sse.DecodeBinaryData([]byte(sse.BinaryPrefix + "not base64!"))
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "sse: "), err.Error())
	require.True(t, ok)
	require.Nil(t, got)
	require.NotErrorIs(t, err, io.EOF)
}
