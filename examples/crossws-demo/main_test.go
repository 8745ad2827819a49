package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	demo "github.com/anyws/anyws/examples/crossws-demo"
	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// timeout bounds every wait in these tests; nothing here should come close.
const timeout = 10 * time.Second

// server is the demo on a test server; its cleanup closes the Hub's peers
// before the server, since open SSE streams are active requests.
type server struct {
	hub  *anyws.Hub
	srv  *httptest.Server
	host string // "127.0.0.1:port", the Host header clients send
}

func serve(t *testing.T) *server {
	t.Helper()
	return serveOn(t, "127.0.0.1:0")
}

func serveOn(t *testing.T, addr string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	hub := demo.NewHub()
	srv := httptest.NewUnstartedServer(demo.NewHandler(hub))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
		srv.Close()
	})
	return &server{hub: hub, srv: srv, host: ln.Addr().String()}
}

func (s *server) url(path string) string   { return "http://" + s.host + path }
func (s *server) wsURL(path string) string { return "ws://" + s.host + path }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// wsClient is one WebSocket client and the id its welcome told it.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	resp *http.Response
	id   string
}

func dialWS(t *testing.T, url string, opts *websocket.DialOptions) *wsClient {
	t.Helper()
	conn, resp, err := websocket.Dial(ctxT(t), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	c := &wsClient{t: t, conn: conn, resp: resp}
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	c.id = welcomeID(t, c.readText(), u.Path)
	// The welcome is sent before the Open hook joins the chat: under
	// load the next client's "joined!" could come before this one
	// subscribed. Hooks run one at a time per peer, so the answer to a
	// message comes after Open returned.
	require.Equal(t, "pong", c.ask("ping"), "the Open hook has run")
	return c
}

var welcomeRE = regexp.MustCompile(`^Welcome to the server (\S+)! \(namespace: (.*)\)$`)

// welcomeID checks msg is the welcome for namespace ns and returns the
// peer id in it, which must be a UUID v4.
func welcomeID(t *testing.T, msg, ns string) string {
	t.Helper()
	m := welcomeRE.FindStringSubmatch(msg)
	require.NotNil(t, m, "first message is not the welcome: %q", msg)
	require.Equal(t, ns, m[2])
	u, err := uuid.Parse(m[1])
	require.NoError(t, err)
	require.Equal(t, uuid.Version(4), u.Version())
	require.Equal(t, u.String(), m[1])
	return m[1]
}

func (c *wsClient) read() (websocket.MessageType, []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), timeout)
	defer cancel()
	typ, b, err := c.conn.Read(ctx)
	require.NoError(c.t, err)
	return typ, b
}

func (c *wsClient) readText() string {
	c.t.Helper()
	typ, b := c.read()
	require.Equal(c.t, websocket.MessageText, typ, "message %q", b)
	return string(b)
}

func (c *wsClient) send(text string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), timeout)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, []byte(text)))
}

// ask sends text and returns the next message, which must be text.
func (c *wsClient) ask(text string) string {
	c.t.Helper()
	c.send(text)
	return c.readText()
}

func (c *wsClient) debug() debugInfo {
	c.t.Helper()
	return parseDebug(c.t, c.ask("debug"))
}

// debugInfo is the demo's "debug" reply as a crossws client reads it.
type debugInfo struct {
	ID             string         `json:"id"`
	RemoteAddress  string         `json:"remoteAddress"`
	BufferedAmount *int           `json:"bufferedAmount"`
	Context        map[string]any `json:"context"`
	Request        struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	} `json:"request"`
	WebSocket struct {
		ReadyState int     `json:"readyState"`
		Protocol   *string `json:"protocol"`
		Extensions *string `json:"extensions"`
		URL        string  `json:"url"`
	} `json:"websocket"`
}

func parseDebug(t *testing.T, msg string) debugInfo {
	t.Helper()
	require.True(t, strings.HasPrefix(msg, "{"), "debug reply must start with {: %q", msg)
	var d debugInfo
	require.NoError(t, json.Unmarshal([]byte(msg), &d), msg)
	require.NotNil(t, d.BufferedAmount, "bufferedAmount missing: %s", msg)
	require.GreaterOrEqual(t, *d.BufferedAmount, 0)
	require.NotNil(t, d.WebSocket.Protocol, "websocket.protocol missing: %s", msg)
	require.NotNil(t, d.WebSocket.Extensions, "websocket.extensions missing: %s", msg)
	for k := range d.Request.Headers {
		require.Equal(t, strings.ToLower(k), k, "header names must be lower-case")
	}
	return d
}

// get does a plain GET and returns the response with its body read.
func get(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// peersList is GET /peers.
func peersList(t *testing.T, s *server) []string {
	t.Helper()
	resp, body := get(t, s.url("/peers"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var v struct {
		Peers []string `json:"peers"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	require.NotNil(t, v.Peers, "peers must be a list: %s", body)
	return v.Peers
}

// requireDemoHeaders checks the Upgrade hook's headers on a response.
func requireDemoHeaders(t *testing.T, h http.Header) {
	t.Helper()
	require.Equal(t, []string{"cross-ws"}, h.Values("X-Powered-By"))
	require.Equal(t, []string{"cross-ws=1; SameSite=None; Secure"}, h.Values("Set-Cookie"))
}

// requireUnauthorized checks crossws's 401 for "?unauthorized".
func requireUnauthorized(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	require.Equal(t, "401 Unauthorized", resp.Status)
	require.Equal(t, "text/plain;charset=UTF-8", resp.Header.Get("Content-Type"))
	require.Equal(t, `Bearer realm="crossws"`, resp.Header.Get("Www-Authenticate"))
	require.Equal(t, "unauthorized", resp.Header.Get("X-Error"))
	require.Empty(t, resp.Header.Values("X-Powered-By"))
	require.Equal(t, "unauthorized", body)
}
