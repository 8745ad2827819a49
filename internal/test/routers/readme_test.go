package routers_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeSnippets checks that every Go snippet of the README's
// "Mounting on routers" is code from mount_test.go, which compiles and
// which TestRouters runs. Indentation is ignored.
func TestReadmeSnippets(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("mount_test.go")
	require.NoError(t, err)
	section := sectionOf(t, string(readme), "## Mounting on routers")
	blocks := goBlocks(section)
	require.NotEmpty(t, blocks, "the section has Go snippets")
	code := dedent(string(src))
	for _, b := range blocks {
		require.Contains(t, code, dedent(b), "a README snippet that is not in mount_test.go")
	}
}

// sectionOf returns the text from heading to the next heading of its level.
func sectionOf(t *testing.T, doc, heading string) string {
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
