package anyws_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// checkBroker is a memory broker whose connection state the test sets.
type checkBroker struct {
	pubsub.Broker
	down atomic.Bool
}

func (b *checkBroker) Check(context.Context) error {
	if b.down.Load() {
		return errors.New("test: server gone")
	}
	return nil
}

func probe(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

// TestReadyHandler: 200 while the Hub is up and its broker connected;
// 503 with the reason when the broker is not, and once the Hub shuts
// down.
func TestReadyHandler(t *testing.T) {
	t.Parallel()
	b := &checkBroker{Broker: pubsub.NewMemory().Broker()}
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: b})
	srv := httptest.NewServer(hub.ReadyHandler())
	defer srv.Close()

	status, body := probe(t, srv.URL)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", body)

	b.down.Store(true)
	status, body = probe(t, srv.URL)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "anyws: broker: test: server gone", body)
	b.down.Store(false)

	require.NoError(t, hub.Shutdown(context.Background()))
	status, body = probe(t, srv.URL)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, anyws.ErrHubClosed.Error(), body)
	require.ErrorIs(t, hub.Ready(context.Background()), anyws.ErrHubClosed)
}

// TestReadyBrokerNotStarted: a Hub whose broker failed to start is not
// ready; one without a broker is.
func TestReadyBrokerNotStarted(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: failingBroker{}})
	defer hub.Close()
	require.EqualError(t, hub.Ready(context.Background()), "anyws: the broker did not start")
	single := anyws.New(anyws.Hooks{}, nil)
	defer single.Close()
	require.NoError(t, single.Ready(context.Background()))
}
