package anyws_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// leavingConn is an SSE-like transport whose client closed the
// connection: its writes fail with ErrClientLeft, and its reader, once
// the core aborts, says the client went away (1001).
type leavingConn struct{ *memConn }

func (c leavingConn) Write(anyws.Batch) error {
	return errors.Join(anyws.ErrClientLeft, syscall.EPIPE)
}

func (c leavingConn) read() {
	<-c.ended
	c.s.Dropped(anyws.CloseInfo{Code: anyws.StatusGoingAway, Reason: "client went away"})
	close(c.done)
}

// TestWriteToClientThatLeft: a write that fails because the client
// closed the connection (ErrClientLeft) is a client leaving, as the
// reader says (SSE has no close handshake: 1001), not a lost connection
// (1006), and no error to report. Before, whichever saw the end first
// won: the Close hook of a websocketsse client that closed while its
// echo was being written saw 1006 about once in 150 runs.
func TestWriteToClientThatLeft(t *testing.T) {
	t.Parallel()
	closed := make(chan anyws.CloseInfo, 1)
	errs := make(chan error, 1)
	hub := anyws.New(anyws.Hooks{
		Close: func(_ *anyws.Peer, ci anyws.CloseInfo) { closed <- ci },
		Error: func(_ *anyws.Peer, err error) { errs <- err },
	}, &anyws.Options{ResumeWindow: -1})
	t.Cleanup(func() { require.NoError(t, hub.Close()) })
	hs, err := hub.Accept(httptest.NewRequest(http.MethodGet, "http://example.com/", nil), nil, "fake", nil)
	require.NoError(t, err)
	c := leavingConn{&memConn{t: t, ended: make(chan struct{}), done: make(chan struct{})}}
	s, err := hub.Attach(hs, c, nil) // the first write fails
	require.NoError(t, err)
	c.s = s
	go c.read()
	select {
	case ci := <-closed:
		require.Equal(t, anyws.StatusGoingAway, ci.Code, "the reader's word: %+v", ci)
	case <-time.After(10 * time.Second):
		t.Fatal("the Close hook did not run after the failed write")
	}
	require.Empty(t, errs, "a client leaving is not an error")
}
