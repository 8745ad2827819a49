package anyws_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// operatingFiles hold the code of the README's "Operating anyws"
// snippets; each compiles and runs in its module's tests.
var operatingFiles = []string{
	"operating_readme_test.go",
	"presence_readme_test.go",
	"metrics/prometheus/readme_test.go",
}

// TestReadmeOperating checks that every Go snippet of the README's
// "Operating anyws" is code from operatingFiles (indentation ignored).
func TestReadmeOperating(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var code strings.Builder
	for _, f := range operatingFiles {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		code.WriteString(dedent(string(src)))
	}
	section := readmeSection(t, string(readme), "## Operating anyws")
	blocks := goBlocks(section)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		require.True(t, strings.Contains(code.String(), dedent(b)), "a README snippet that is in none of %q:\n%s", operatingFiles, b)
	}
	hub := readmeLogger(anyws.Hooks{})
	mux := http.NewServeMux()
	readmeReady(hub, mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	n, err := readmeFilter(hub)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, hub.Close())
}

// readmeReady is the README's readiness snippet.
func readmeReady(hub *anyws.Hub, mux *http.ServeMux) {
	mux.Handle("/readyz", hub.ReadyHandler()) // 503 while shutting down or while the broker is down
}

// readmeFilter is the README's filtered publish.
func readmeFilter(hub *anyws.Hub) (int, error) {
	n, err := hub.PublishLocal("ops", "deploy at 5", func(p *anyws.Peer) bool {
		role, _ := anyws.Value[string](p, "role")
		return role == "admin"
	})
	return n, err
}

// readmeLogger is the README's logging snippet.
func readmeLogger(hooks anyws.Hooks) *anyws.Hub {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hub := anyws.New(hooks, &anyws.Options{Logger: logger})
	return hub
}

// readmeSection returns the text from heading to the next heading of its
// level.
func readmeSection(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "README has no %q", heading)
	rest := doc[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// goBlocks returns the bodies of the ```go fences in s.
func goBlocks(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "```go\n")
		if i < 0 {
			return out
		}
		s = s[i+len("```go\n"):]
		j := strings.Index(s, "```")
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+3:]
	}
}

// dedent trims every line and drops blank ones.
func dedent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
