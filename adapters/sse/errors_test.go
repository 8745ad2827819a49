package sse_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	adapter "github.com/anyws/anyws/adapters/sse"
	"github.com/stretchr/testify/require"
)

func requireAnywsError(t *testing.T, status, wantStatus int, body, contains string) {
	t.Helper()
	require.Equal(t, wantStatus, status, body)
	require.True(t, strings.HasPrefix(body, "anyws: "), "body %q", body)
	require.Contains(t, body, contains)
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true, MaxMessageBytes: 64}})
	// A bystander peer: no bad request may affect it.
	by := open(t, e.client, e.url)
	by.token(t)
	bystander := e.rec.peer(t)
	c := open(t, e.client, e.url)
	tok := c.token(t)
	e.rec.peer(t)

	big := bytes.Repeat([]byte("x"), 65)
	tests := []struct {
		name, method, token, ct string
		body                    []byte
		hdr                     []string
		status                  int
		contains                string
	}{
		{"unknown token", "POST", "00112233445566778899aabbccddeeff", "text/plain", []byte("x"), nil, 404, "unknown or closed peer token"},
		{"peer id is not a token", "POST", bystander.ID(), "text/plain", []byte("x"), nil, 404, "unknown or closed"},
		{"no token", "POST", "", "text/plain", []byte("x"), nil, 400, "x-crossws-id"},
		{"too big", "POST", tok, "text/plain", big, nil, 413, "64 bytes"},
		{"too big binary", "POST", tok, "application/octet-stream", big, nil, 413, "MaxMessageBytes"},
		{"invalid utf-8", "POST", tok, "text/plain", []byte("a\xffb"), nil, 400, "UTF-8"},
		{"cross-origin", "POST", tok, "text/plain", []byte("x"), []string{"Origin", "https://evil.example"}, 403, "evil.example"},
		{"framed too big", "POST", tok, "text/event-stream", append(append([]byte("data: "), big...), "\n\n"...), nil, 413, "limit of 64"},
		{"framed binary too big", "POST", tok, "text/event-stream", []byte("event: binary\ndata: " + base64.StdEncoding.EncodeToString(big) + "\n\n"), nil, 413, "64"},
		{"framed bad base64", "POST", tok, "text/event-stream", []byte("event: binary\ndata: !!!\n\n"), nil, 400, "base64"},
		{"framed unknown type", "POST", tok, "text/event-stream", []byte("event: ping\ndata: x\n\n"), nil, 400, "unknown event type"},
		{"framed invalid utf-8", "POST", tok, "text/event-stream", []byte("data: \xc3\x28\n\n"), nil, 400, "UTF-8"},
		{"PUT", "PUT", tok, "text/plain", []byte("x"), nil, 405, "not allowed"},
		{"DELETE", "DELETE", "", "", nil, nil, 405, "not allowed"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, e.url, bytes.NewReader(tc.body))
		require.NoError(t, err)
		if tc.token != "" {
			req.Header.Set("X-Crossws-Id", tc.token)
		}
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		resp, err := e.client.Do(req)
		require.NoError(t, err, tc.name)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		requireAnywsError(t, resp.StatusCode, tc.status, string(b), tc.contains)
		require.Empty(t, resp.Header.Values("X-Crossws-Id"), tc.name)
		if tc.status == 405 {
			require.Equal(t, "GET, POST", resp.Header.Get("Allow"), tc.name)
		}
	}
	// Nothing was delivered, and both peers are still open and reachable.
	select {
	case m := <-e.rec.msgs:
		require.FailNow(t, "unexpected message", "%q", m.Text())
	default:
	}
	require.Len(t, e.hub.Peers(), 2)
	status, _ := post(t, e.client, e.url, tok, "text/plain", []byte("ok"))
	require.Equal(t, 204, status)
	require.Equal(t, "ok", e.rec.msg(t).Text())
	for _, p := range e.hub.Peers() {
		p.Subscribe("all")
	}
	require.NoError(t, e.hub.Publish("all", "still open"))
	require.Equal(t, "still open", by.message(t))
	require.Equal(t, "still open", c.message(t))
}

// TestFramedErrorKeepsEarlierMessages: a malformed event ends the POST
// with 400, after the events before it were delivered; the peer stays.
func TestFramedErrorKeepsEarlierMessages(t *testing.T) {
	t.Parallel()
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{mode: m, opts: &adapter.Options{Bidirectional: true}})
			c := open(t, e.client, e.url)
			tok := c.token(t)
			p := e.rec.peer(t)
			sp := startPost(t, e.client, e.url, tok, "text/event-stream")
			sp.write(t, "data: good\n\n")
			require.Equal(t, "good", e.rec.msg(t).Text())
			sp.write(t, "event: binary\ndata: not base64!\n\n")
			status, body := sp.response(t)
			requireAnywsError(t, status, 400, body, "base64")

			require.NoError(t, p.Send("stream still open"))
			require.Equal(t, "stream still open", c.message(t))
			status, _ = post(t, e.client, e.url, tok, "text/plain", []byte("uplink still works"))
			require.Equal(t, 204, status)
			require.Equal(t, "uplink still works", e.rec.msg(t).Text())
		})
	}
}

func TestOriginAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{opts: &adapter.Options{Bidirectional: true, OriginPatterns: []string{"*.example.com"}}})
	c := open(t, e.client, e.url, "Origin", "https://app.example.com")
	tok := c.token(t)
	status, body := post(t, e.client, e.url, tok, "text/plain", []byte("hi"), "Origin", "https://app.example.com")
	require.Equal(t, 204, status, body)
	require.Equal(t, "hi", e.rec.msg(t).Text())
	// Same origin is always allowed.
	status, _ = post(t, e.client, e.url, tok, "text/plain", []byte("same"), "Origin", e.srv.URL)
	require.Equal(t, 204, status)
	require.Equal(t, "same", e.rec.msg(t).Text())
	status, body = post(t, e.client, e.url, tok, "text/plain", []byte("x"), "Origin", "https://evil.example")
	requireAnywsError(t, status, 403, body, "not allowed")
	// A cross-origin stream is refused before any peer is made.
	bad := tryOpen(t, e.client, e.url, "Origin", "https://evil.example")
	require.Equal(t, 403, bad.resp.StatusCode)
	require.Len(t, e.hub.Peers(), 1)
}

func TestNotAcceptable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, accept := range []string{"", "text/html", "*/*"} {
		req, err := http.NewRequest("GET", e.url, nil)
		require.NoError(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		requireAnywsError(t, resp.StatusCode, 406, string(b), "Accept: text/event-stream")
	}
	// A list naming text/event-stream is accepted.
	c := open(t, e.client, e.url, "Accept", "text/html, text/event-stream;q=0.9")
	require.Equal(t, "text/event-stream", c.resp.Header.Get("Content-Type"))
	require.Empty(t, e.rec.errs)
}

func TestOneWayRefusesPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	c := open(t, e.client, e.url)
	e.rec.peer(t)
	for _, tok := range []string{"", "00112233445566778899aabbccddeeff"} {
		req, err := http.NewRequest("POST", e.url, strings.NewReader("x"))
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("X-Crossws-Id", tok)
		}
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		requireAnywsError(t, resp.StatusCode, 405, string(b), "one-way")
		require.Equal(t, "GET", resp.Header.Get("Allow"))
	}
	require.Empty(t, e.rec.msgs)
	_ = c
}

func TestClassifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, accept, token string
		stream, uplink        bool
	}{
		{"GET", "text/event-stream", "", true, false},
		{"GET", "text/html, text/event-stream", "", true, false},
		{"GET", "Text/Event-Stream", "", true, false},
		{"GET", "text/html", "", false, false},
		{"POST", "text/event-stream", "", false, false},
		{"POST", "", "abc", false, true},
		{"GET", "", "abc", false, false},
		{"PUT", "", "abc", false, false},
	}
	for _, tc := range tests {
		r, err := http.NewRequest(tc.method, "http://h/", nil)
		require.NoError(t, err)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		if tc.token != "" {
			r.Header.Set("x-crossws-id", tc.token)
		}
		require.Equal(t, tc.stream, adapter.IsStream(r), "%+v", tc)
		require.Equal(t, tc.uplink, adapter.IsUplink(r), "%+v", tc)
	}
}
