package testservers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPortTakenByAnother: a server launched on a port another test's
// server took meanwhile exits ("address in use") while the other one
// answers the ping. The launch must fail (start then tries another
// port), not hand the test a broker that vanishes when the other test
// stops its own: make test once failed so, every PeerStore conformance
// test on Redis at once with "connection refused".
func TestPortTakenByAnother(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  func(testing.TB) *Server
	}{{"redis", Redis}, {"nats", NATS}} {
		t.Run(tc.name, func(t *testing.T) {
			first := tc.srv(t)
			second := tc.srv(t)
			second.Kill()
			second.port = first.port // as if freePort had given it
			second.mu.Lock()
			err := second.launch()
			second.mu.Unlock()
			require.Error(t, err, "the server on port %d is not the one launched", first.port)
			require.NoError(t, first.ping(first), "the first still answers as itself")
		})
	}
}
