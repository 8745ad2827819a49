package js_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/anyws/anyws/client/js"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// pack runs `npm pack` in this directory, as the README says, and
// returns the tarball's path and its files (package/ prefix removed).
func pack(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	out := nodetest.Run(t, ".", "npm", "pack", "--pack-destination", dir, "--json")
	var packed []struct{ Filename string }
	require.NoError(t, json.Unmarshal(out, &packed), "npm pack --json: %s", out)
	require.Len(t, packed, 1)
	tgz := filepath.Join(dir, packed[0].Filename)
	f, err := os.Open(tgz)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[strings.TrimPrefix(h.Name, "package/")] = b
	}
	return tgz, files
}

// TestPackageContents: the tarball holds the module, its types, the
// manifest and the README, nothing else (no Go files, no tests), and its
// anyws.js is the file the Go server serves.
func TestPackageContents(t *testing.T) {
	t.Parallel()
	_, files := pack(t)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	require.Equal(t, []string{"README.md", "anyws.d.ts", "anyws.js", "package.json"}, names)
	require.Equal(t, js.Source, string(files["anyws.js"]), "the package's anyws.js is the served one")
	require.Equal(t, auto.ClientSource, string(files["anyws.js"]), "auto serves the package's anyws.js")
	require.Equal(t, js.Types, string(files["anyws.d.ts"]))

	var manifest struct {
		Name, Type, Types, Main string
		SideEffects             *bool
		Exports                 map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(files["package.json"], &manifest))
	require.Equal(t, "@anyws/client", manifest.Name)
	require.Equal(t, "module", manifest.Type)
	require.Equal(t, "./anyws.d.ts", manifest.Types)
	require.NotNil(t, manifest.SideEffects)
	require.False(t, *manifest.SideEffects)
	require.JSONEq(t, `{"types": "./anyws.d.ts", "default": "./anyws.js"}`, string(manifest.Exports["."]))
}

// buildApp copies the test app (testdata/app) into a fresh directory,
// installs the packed package into it (offline: the package has no
// dependencies), type-checks it under --strict with tsc against the
// installed declarations, and bundles it with esbuild into dist/.
func buildApp(t *testing.T) string {
	t.Helper()
	tgz, _ := pack(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join("testdata", "app"))
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "app", e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "anyws-client-test-app", "private": true, "type": "module"}`+"\n"), 0o644))
	nodetest.Run(t, dir, "npm", "install", "--offline", "--no-audit", "--no-fund", tgz)
	nodetest.Run(t, dir, nodetest.Bin(t, "tsc"), "-p", ".")
	nodetest.Run(t, dir, nodetest.Bin(t, "esbuild"), "main.ts", "example.ts", "--bundle", "--format=esm", "--target=es2022", "--outdir=dist", "--log-level=warning")
	return dir
}

// outcome is what window.run returns.
type outcome struct {
	Transport, Uplink, Protocol string
	Fallback                    *string
	ReadyStates                 []int
	Got                         []string
	Close                       struct {
		Code          int
		Reason        string
		Status        int
		WasClean      bool
		WillReconnect bool
	}
}

// TestPackageApp: the esbuild bundle of an app that imports the packed
// package runs in Chromium against a Go server, over WebSocket, over
// forced SSE, falling back to SSE when upgrades are refused, and against
// a server that refuses the connection.
func TestPackageApp(t *testing.T) {
	t.Parallel()
	dir := buildApp(t)
	tests := []struct {
		name      string
		opts      *auto.Options
		refuse    int
		call      string
		transport string
		fallback  string
		protocol  string
	}{
		{"websocket", nil, 0, `run('/_ws', {}, 'chat')`, "websocket", "", "chat"},
		{"sse", nil, 0, `run('/_ws', {transport: 'sse'})`, "sse", "forced", ""},
		{"fallback", &auto.Options{DisableWebSocket: true}, 0, `run('/_ws', {})`, "sse", "failed", ""},
		{"refused", nil, http.StatusUnauthorized, `run('/_ws', {})`, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := anyws.New(anyws.Hooks{
				Upgrade: func(u *anyws.Handshake) error {
					if tc.refuse != 0 {
						return anyws.Reject(tc.refuse, "log in first")
					}
					if len(u.Protocols) > 0 {
						u.Protocol = u.Protocols[0]
					}
					return nil
				},
				Open:    func(p *anyws.Peer) { _ = p.Send("welcome " + p.Transport()) },
				Message: func(p *anyws.Peer, m anyws.Message) { _ = p.Send(m) },
			}, nil)
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				require.NoError(t, hub.Shutdown(ctx))
			})
			mux := http.NewServeMux()
			mux.Handle("/_ws", auto.New(hub, tc.opts))
			mux.Handle("/", http.FileServer(http.Dir(dir)))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)

			ctx := browsertest.Tab(t)
			browsertest.Navigate(t, ctx, srv.URL+"/")
			var consts []int
			browsertest.Eval(t, ctx, `constants()`, &consts)
			require.Equal(t, []int{0, 1, 2, 3}, consts)
			var res outcome
			browsertest.Eval(t, ctx, tc.call, &res)
			if tc.refuse != 0 {
				require.Equal(t, 4000+tc.refuse, res.Close.Code)
				require.Equal(t, tc.refuse, res.Close.Status)
				require.Equal(t, "log in first", res.Close.Reason)
				require.False(t, res.Close.WillReconnect)
				require.Equal(t, []int{0, 3}, res.ReadyStates)
				return
			}
			require.Equal(t, tc.transport, res.Transport)
			require.Equal(t, tc.protocol, res.Protocol)
			if tc.fallback == "" {
				require.Nil(t, res.Fallback)
			} else {
				require.NotNil(t, res.Fallback)
				require.Equal(t, tc.fallback, *res.Fallback)
			}
			require.Equal(t, []string{"welcome " + tc.transport, "hello", "bin:1,2,255"}, res.Got)
			require.Equal(t, []int{0, 1, 2, 3}, res.ReadyStates)
			require.Equal(t, 1000, res.Close.Code)
			require.True(t, res.Close.WasClean)
			require.Eventually(t, func() bool { return len(hub.Peers()) == 0 }, 20*time.Second, 10*time.Millisecond)
		})
	}
}

// TestREADME: the README's typed example is testdata/app/example.ts,
// which TestPackageApp type-checks and bundles, and it shows the commands
// the tests run to pack and install the package.
func TestREADME(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	example, err := os.ReadFile(filepath.Join("testdata", "app", "example.ts"))
	require.NoError(t, err)
	require.Contains(t, string(readme), "```ts\n"+string(example)+"```\n")
	require.Contains(t, string(readme), "npm install @anyws/client\n")
	require.Contains(t, string(readme), "npm pack ")
	require.Contains(t, string(readme), "npm install ../anyws/client/js/anyws-client-0.1.0.tgz\n")
	var manifest struct{ Version string }
	b, err := os.ReadFile("package.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &manifest))
	require.Contains(t, string(readme), "anyws-client-"+manifest.Version+".tgz", "the README names the tarball npm pack writes")
}
