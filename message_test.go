package anyws_test

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	m := anyws.Text("héllo")
	require.Equal(t, "héllo", m.Text())
	require.False(t, m.IsBinary())
	require.Equal(t, 6, m.Len())

	b := anyws.Binary([]byte{1, 2})
	require.True(t, b.IsBinary())
	require.Equal(t, []byte{1, 2}, b.Bytes())

	var v struct{ N int }
	require.NoError(t, anyws.Text(`{"N":3}`).JSON(&v))
	require.Equal(t, 3, v.N)
	err := anyws.Text(`{`).JSON(&v)
	require.ErrorContains(t, err, "anyws: decode message as JSON")
}
