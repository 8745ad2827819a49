package readme_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// snippetImports are the packages a snippet may use without an import
// line, as a reader who adds the imports would; each with a name that
// uses it, since an unused import does not compile.
var snippetImports = []struct{ path, use string }{
	{"context", "context.Background"},
	{"encoding/json", "json.Marshal"},
	{"errors", "errors.New"},
	{"log", "log.Println"},
	{"log/slog", "slog.New"},
	{"net/http", "http.NewServeMux"},
	{"os", "os.Exit"},
	{"os/signal", "signal.NotifyContext"},
	{"syscall", "syscall.SIGTERM"},
	{"time", "time.Second"},
	{"github.com/anyws/anyws", "anyws.New"},
	{"github.com/anyws/anyws/adapters/auto", "auto.New"},
	{"github.com/anyws/anyws/client", "client.Dial"},
	{"github.com/anyws/anyws/pubsub", "pubsub.NewMemory"},
	{"github.com/anyws/anyws/pubsub/nats", "nats.New"},
	{"github.com/anyws/anyws/pubsub/redis", "redis.New"},
	{"github.com/anyws/anyws/websocketsse", "websocketsse.Dial"},
	{"github.com/coder/websocket", "websocket.Dial"},
}

// runElsewhere are the README sections whose Go blocks other tests run:
// each block must be code of these files (indentation aside), which
// compile and run in their own packages or modules (the Prometheus one
// in a module of its own, which this build could not reach).
var runElsewhere = map[string][]string{
	"Mounting on routers": {"internal/test/routers/mount_test.go"},
	"Operating anyws":     {"operating_readme_test.go", "presence_readme_test.go", "metrics/prometheus/readme_test.go"},
}

// buildTimeout bounds the one `go build` of every snippet: a cold build
// cache compiles anyws and its dependencies on a loaded 2-core machine.
const buildTimeout = 10 * time.Minute

// TestGoSnippets builds every Go block of the docs in one temporary
// module that uses this checkout, but those of runElsewhere, which must
// be the code other tests run.
// A compile error names the README line.
func TestGoSnippets(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	dir := t.TempDir()

	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	var requires []string
	for _, l := range strings.Split(string(gomod), "\n") {
		if !strings.HasPrefix(l, "module ") && !strings.HasPrefix(l, "go ") && !strings.HasPrefix(l, "toolchain ") {
			requires = append(requires, l)
		}
	}
	mod := "module readmesnippets\n\ngo 1.25.0\n\nrequire github.com/anyws/anyws v0.0.0\n" +
		strings.Join(requires, "\n") + "\nreplace github.com/anyws/anyws => " + abs + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	n := 0
	for _, b := range allBlocks(t)["go"] {
		if files, ok := runElsewhere[b.section]; ok && b.doc == "README.md" {
			requireInCode(t, b, files)
			continue
		}
		n++
		pkg := fmt.Sprintf("snippet%d", n)
		src := goFile(t, b, pkg)
		require.NoError(t, os.Mkdir(filepath.Join(dir, pkg), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, pkg, "snippet.go"), []byte(src), 0o644))
	}
	require.NotZero(t, n, "the docs have Go snippets")

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is on PATH")
	cmd := exec.CommandContext(ctx, goTool, "build", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "a README snippet does not compile (the file:line is the README's):\n%s", out)
}

// goFile returns a block as a Go file of package pkg: as it is if it is
// a whole file, else as the body of a function with ctx, hooks, hub and mux in
// scope. The names the body declares at its top level are used after it,
// as the code a reader adds would use them.
func goFile(t *testing.T, b block, pkg string) string {
	t.Helper()
	directive := fmt.Sprintf("//line %s:%d\n", b.doc, b.line)
	if strings.HasPrefix(b.body, "package ") {
		return directive + b.body
	}
	var f strings.Builder
	f.WriteString("package " + pkg + "\n\nimport (\n")
	for _, imp := range snippetImports {
		fmt.Fprintf(&f, "\t%q\n", imp.path)
	}
	f.WriteString(")\n\nvar _ = []any{\n")
	for _, imp := range snippetImports {
		f.WriteString("\t" + imp.use + ",\n")
	}
	f.WriteString("}\n\nfunc snippet(ctx context.Context, hooks anyws.Hooks, hub *anyws.Hub, mux *http.ServeMux, broker pubsub.Broker) error {\n\t{\n")
	f.WriteString(directive + b.body)
	f.WriteString("//line snippet-frame.go:1\n")
	for _, name := range topLevelNames(t, b) {
		f.WriteString("\t\t_ = " + name + "\n")
	}
	f.WriteString("\t}\n\treturn nil\n}\n")
	return f.String()
}

// topLevelNames returns the variables a function-body block declares
// outside any nested block.
func topLevelNames(t *testing.T, b block) []string {
	t.Helper()
	src := "package p\nfunc _() {\n" + b.body + "\n}\n"
	f, err := parser.ParseFile(token.NewFileSet(), b.doc, src, 0)
	require.NoError(t, err, "%s does not parse as a function body", b.where())
	var names []string
	add := func(id *ast.Ident) {
		if id.Name != "_" {
			names = append(names, id.Name)
		}
	}
	for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, e := range st.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.DeclStmt:
			if g, ok := st.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, id := range s.(*ast.ValueSpec).Names {
						add(id)
					}
				}
			}
		}
	}
	return names
}

// requireInCode fails unless every line of b stands, in order and
// indentation aside, in one of files (paths from the repository root).
func requireInCode(t *testing.T, b block, files []string) {
	t.Helper()
	norm := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		if strings.Contains(norm(string(src)), norm(b.body)) {
			return
		}
	}
	require.Failf(t, "a README snippet is not the code that runs it", "%s is in none of %q: change both", b.where(), files)
}
