package readme_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// root is the repository's root, from this package's directory.
const root = "../../.."

// docs are the Markdown files whose blocks the tests check.
var docs = []string{"README.md", "examples/chat/README.md", "docs/performance.md"}

// block is one fenced block of a Markdown file.
type block struct {
	doc     string // path from the repository root
	lang    string // the fence's info string: go, js, sh, nginx
	body    string
	line    int    // line of the body's first line in doc (1-based)
	section string // the "## " heading it is under
}

// where names the block for a failure message.
func (b block) where() string {
	return b.doc + ":" + strconv.Itoa(b.line) + " (" + b.lang + " block under " + b.section + ")"
}

// blocksOf returns every fenced block of doc.
func blocksOf(t *testing.T, doc string) []block {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, doc))
	require.NoError(t, err)
	var out []block
	var cur *block
	indent := "" // a fence in a list item is indented, and so is its body
	section := "(top)"
	for i, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{doc: doc, lang: strings.TrimSpace(trimmed[3:]), line: i + 2, section: section}
			indent = l[:len(l)-len(trimmed)]
		case cur != nil && strings.TrimSpace(l) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += strings.TrimPrefix(l, indent) + "\n"
		case strings.HasPrefix(l, "## "):
			section = l[3:]
		}
	}
	require.Nil(t, cur, "%s: a fence is not closed", doc)
	return out
}

// allBlocks returns the blocks of every doc, by language.
func allBlocks(t *testing.T) map[string][]block {
	t.Helper()
	by := map[string][]block{}
	for _, d := range docs {
		for _, b := range blocksOf(t, d) {
			by[b.lang] = append(by[b.lang], b)
		}
	}
	return by
}

// TestEveryBlockIsChecked: a block in a language no test checks fails,
// so a new kind of snippet cannot slip in unchecked.
func TestEveryBlockIsChecked(t *testing.T) {
	t.Parallel()
	for lang, bs := range allBlocks(t) {
		switch lang {
		case "go", "js", "sh", "nginx":
		default:
			require.Failf(t, "a block no test checks", "%s: language %q (go, js, sh and nginx are checked; teach internal/test/readme the new one)", bs[0].where(), lang)
		}
	}
}
