package sse_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

// TestUplinkRefusalDoesNotWaitForBody: a POST refused before its body
// is read (no token, unknown token, foreign origin, wrong method, one-way
// route) is answered at once with Connection: close, and the server
// closes the connection, though the chunked body never ends: net/http
// would otherwise read the body first, and a client that never ends it
// would hold a connection and a goroutine for free.
func TestUplinkRefusalDoesNotWaitForBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true}})
	oneWay := httptestServe(t, adapter.New(e.hub, nil))
	rejecting := httptestServe(t, adapter.New(e.hub, &adapter.Options{Bidirectional: true, Hooks: anyws.Hooks{
		Upgrade: func(*anyws.Handshake) error {
			return &anyws.Rejection{Status: http.StatusUnauthorized, Body: "anyws: test: session expired"}
		},
	}}))
	u, err := url.Parse(e.url)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, host, method, hdr string
		status                  int
	}{
		{"no token", u.Host, "POST", "", 400},
		{"unknown token", u.Host, "POST", "X-Crossws-Id: 00112233445566778899aabbccddeeff\r\n", 404},
		{"foreign origin", u.Host, "POST", "X-Crossws-Id: 00112233445566778899aabbccddeeff\r\nOrigin: http://evil.example\r\n", 403},
		{"wrong method", u.Host, "PUT", "", 405},
		{"one-way route", oneWay, "POST", "X-Crossws-Id: 00112233445566778899aabbccddeeff\r\n", 405},
		{"Upgrade hook rejects", rejecting, "POST", "X-Crossws-Id: 00112233445566778899aabbccddeeff\r\n", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", tc.host)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(wait)))
			_, err = fmt.Fprintf(conn, "%s /room HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n%s\r\n5\r\nhello\r\n", tc.method, tc.host, tc.hdr)
			require.NoError(t, err)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err, "awaiting the answer while the body is still open")
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			requireAnywsError(t, resp.StatusCode, tc.status, string(b), "")
			require.True(t, resp.Close, "Connection: close")
			_, err = br.ReadByte()
			require.ErrorIs(t, err, io.EOF, "awaiting the server closing the connection")
		})
	}
}

func httptestServe(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, _ := serve(t, h, h1)
	return strings.TrimPrefix(srv.URL, "http://")
}

// stalledPost starts a one-message POST that announces 100 bytes and
// sends 5; it returns the channel its status and body arrive on.
func stalledPost(t *testing.T, hc *http.Client, url, token string) <-chan string {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.CloseWithError(io.ErrClosedPipe) })
	req, err := http.NewRequest(http.MethodPost, url, pr)
	require.NoError(t, err)
	req.ContentLength = 100
	req.Header.Set("X-Crossws-Id", token)
	req.Header.Set("Content-Type", "text/plain")
	go func() { _, _ = pw.Write([]byte("hello")) }()
	answer := make(chan string, 1)
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	return answer
}

// TestUplinkMessageDeadline: the body of a one-message POST must arrive
// within Options.UplinkTimeout; a client that stalls gets 408.
func TestUplinkMessageDeadline(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true, UplinkTimeout: 200 * time.Millisecond}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			ans := recv(t, stalledPost(t, e.client, e.url, tok), "the stalled POST's answer")
			require.True(t, strings.HasPrefix(ans, "408 anyws: "), ans)
			require.Contains(t, ans, "UplinkTimeout")
			// The peer is unharmed.
			require.Len(t, e.hub.Peers(), 1)
			status, body := post(t, e.client, e.url, tok, "text/plain", []byte("after"))
			require.Equal(t, 204, status, body)
			require.Equal(t, "after", e.rec.msg(t).Text())
		})
	}
}

// TestUplinkMessageEndsWithPeer: a one-message POST still reading its
// body when its peer closes is answered 404 at once: no uplink outlives
// its stream.
func TestUplinkMessageEndsWithPeer(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			posted := make(chan struct{}, 1)
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true, UplinkTimeout: time.Hour}, hooks: func(r *recorder) anyws.Hooks {
				h := r.hooks()
				h.Upgrade = func(u *anyws.Handshake) error {
					if u.Request.Method == http.MethodPost {
						posted <- struct{}{}
					}
					return nil
				}
				return h
			}})
			c := open(t, e.client, e.url)
			p := e.rec.peer(t)
			ans := stalledPost(t, e.client, e.url, c.token(t))
			recv(t, posted, "the stalled POST to reach the Upgrade hook")
			select {
			case got := <-ans:
				require.FailNow(t, "the stalled POST was answered before its peer closed", got)
			default:
			}
			require.NoError(t, p.Close(anyws.StatusNormalClosure, "bye"))
			got := recv(t, ans, "the stalled POST's answer after its peer closed")
			require.True(t, strings.HasPrefix(got, "404 anyws: "), got)
		})
	}
}
