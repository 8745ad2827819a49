package websocket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// keptRequest recognizes the context net/http's server gives a request
// (it reads the context package's types by reflection: a Go release
// that changes them fails this test, rather than quietly keeping 300
// bytes more per idle connection), and nothing else.
func TestKeptRequest(t *testing.T) {
	t.Parallel()
	type got struct {
		original, kept *http.Request
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- got{r, keptRequest(r)}
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/a?b=c")
	require.NoError(t, err)
	_ = resp.Body.Close()
	g := <-ch
	require.NotSame(t, g.original, g.kept)
	rc, ok := g.kept.Context().(*requestContext)
	require.True(t, ok, "net/http's context was not recognized: %v", g.original.Context())
	require.Same(t, srv.Config, rc.srv)
	require.Equal(t, g.original.Context().Value(http.LocalAddrContextKey), rc.laddr)
	require.Equal(t, srv.Config, g.kept.Context().Value(http.ServerContextKey))
	require.Nil(t, g.kept.Context().Value(otherKey{}))
	require.ErrorIs(t, g.kept.Context().Err(), context.Canceled)
	select {
	case <-g.kept.Context().Done():
	default:
		t.Fatal("the kept context is not done")
	}
	_, hasDeadline := g.kept.Context().Deadline()
	require.False(t, hasDeadline)
	require.Equal(t, g.original.URL, g.kept.URL)
	require.Equal(t, g.original.Header, g.kept.Header)
	require.Equal(t, g.original.RemoteAddr, g.kept.RemoteAddr)

	// Anything else is kept as it is.
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/", nil),
		g.original.WithContext(context.WithValue(g.original.Context(), otherKey{}, "v")),
		g.original.WithContext(context.WithoutCancel(g.original.Context())),
	} {
		require.Same(t, r, keptRequest(r), "%v", r.Context())
	}
}

type otherKey struct{}
