package websocket_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// An https page of the same host is another origin than this http
// server (and an http page another origin than an https server): the
// scheme is part of the origin.
func TestOriginScheme(t *testing.T) {
	t.Parallel()
	url, _, _ := serveWS(t, anyws.Hooks{}, nil)
	host := strings.TrimPrefix(url, "ws://")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://" + host}}})
	require.Error(t, err, "an https origin on an http server")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
