package js_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// TestNodeBinaryEvents: over SSE, anyws.js gets a text message that
// looks like crossws's binary data URL back as that text, and binary as
// binary (issue 16 item 10): it asks for binary events and the server
// grants them.
func TestNodeBinaryEvents(t *testing.T) {
	t.Parallel()
	hub := anyws.New(anyws.Hooks{
		Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
	}, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	srv := httptest.NewServer(auto.New(hub, nil))
	t.Cleanup(srv.Close)
	nodetest.HarnessDir(t) // fails with the command to run when Node is missing
	out := nodetest.Run(t, ".", "node", "testdata/node-binary.mjs", srv.URL+"/_ws")
	var res struct {
		Transport string
		Got       []map[string]string
	}
	require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)
	require.Equal(t, "sse", res.Transport)
	require.Equal(t, []map[string]string{
		{"text": "data:application/octet-stream;base64,aGk="},
		{"binary": "hi"},
		{"text": "data:application/octet-stream;base64,!!"},
		{"binary": "data:application/octet-stream;base64,aGk="},
		{"binary": ""},
	}, res.Got)
}
