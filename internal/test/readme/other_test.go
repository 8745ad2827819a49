package readme_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/anyws/anyws/internal/test/nodetest"
	"github.com/stretchr/testify/require"
)

// nginxDoc holds the nginx block examples/chat's TestNginx runs.
const nginxDoc = "examples/chat/README.md"

// TestNginxBlocks: every nginx block of the docs is the one
// examples/chat's TestNginx starts nginx with.
func TestNginxBlocks(t *testing.T) {
	t.Parallel()
	var tested []block
	for _, b := range blocksOf(t, nginxDoc) {
		if b.lang == "nginx" {
			tested = append(tested, b)
		}
	}
	require.Len(t, tested, 1, "%s has one nginx block (TestNginx runs the first)", nginxDoc)
	for _, b := range allBlocks(t)["nginx"] {
		require.Equal(t, tested[0].body, b.body, "%s is not the block TestNginx runs (%s)", b.where(), tested[0].where())
	}
}

// goVersion finds "Go 1.25 or later" in a command's comment.
var goVersion = regexp.MustCompile(`Go (\d+\.\d+) or later`)

// flagDef is a flag's definition in a main.go: flag.Int("name", ….
var flagDef = regexp.MustCompile(`flag\.[A-Za-z]+\("([^"]+)"`)

// TestShellBlocks: each command of a sh block names something that
// exists: `go get` the module, `go run` a directory with a main package
// (or `go run -C dir pkg`, for a module of its own, whose flags its
// main.go defines),
// `go test` packages that exist, `make` a target of the Makefile; a
// "Go 1.N or later" is go.mod's.
func TestShellBlocks(t *testing.T) {
	t.Parallel()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	module := strings.TrimPrefix(strings.SplitN(string(gomod), "\n", 2)[0], "module ")
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	for _, b := range allBlocks(t)["sh"] {
		for _, l := range strings.Split(b.body, "\n") {
			if m := goVersion.FindStringSubmatch(l); m != nil {
				require.Contains(t, string(gomod), "\ngo "+m[1]+".", "%s: the Go version go.mod declares", b.where())
			}
			if i := strings.Index(l, " #"); i >= 0 {
				l = l[:i]
			}
			f := strings.Fields(l)
			switch {
			case len(f) == 0:
			case len(f) >= 3 && f[0] == "go" && f[1] == "get":
				require.Equal(t, module, strings.SplitN(f[2], "@", 2)[0], "%s: go get the module", b.where())
			case len(f) >= 5 && f[0] == "go" && f[1] == "run" && f[2] == "-C":
				// go run -C dir pkg: a module of its own (cmd/anyws-bench).
				src, err := os.ReadFile(filepath.Join(root, f[3], f[4], "main.go"))
				require.NoError(t, err, "%s: go run -C %s %s", b.where(), f[3], f[4])
				require.Contains(t, string(src), "package main\n", "%s: go run -C %s %s", b.where(), f[3], f[4])
				var flags []string
				for _, m := range flagDef.FindAllStringSubmatch(string(src), -1) {
					flags = append(flags, m[1])
				}
				for _, a := range f[5:] {
					if name, ok := strings.CutPrefix(a, "-"); ok {
						name, _, _ = strings.Cut(name, "=") // -flag=value
						require.Contains(t, flags, name, "%s: %s is one of the tool's flags", b.where(), a)
					}
				}
			case len(f) >= 3 && f[0] == "go" && f[1] == "run":
				src, err := os.ReadFile(filepath.Join(root, f[2], "main.go"))
				require.NoError(t, err, "%s: go run %s", b.where(), f[2])
				require.Contains(t, string(src), "package main\n", "%s: go run %s", b.where(), f[2])
			case len(f) >= 3 && f[0] == "go" && f[1] == "test":
				pkg := f[len(f)-1]
				require.True(t, strings.HasPrefix(pkg, "./"), "%s: go test ends with the packages", b.where())
				_, err := os.Stat(filepath.Join(root, strings.TrimSuffix(pkg, "...")))
				require.NoError(t, err, "%s: go test %s", b.where(), pkg)
			case f[0] == "make":
				for _, target := range f[1:] {
					require.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(target)+`:`), string(makefile), "%s: make %s", b.where(), target)
				}
			default:
				require.Failf(t, "a command no test checks", "%s: %q (teach TestShellBlocks what it must find)", b.where(), l)
			}
		}
	}
}

// TestJSBlocks type-checks every js block under --strict against the
// npm package's declarations, with tsc from the Node test harness
// (`make deps`). "/anyws.js", the file auto serves, is the package's
// module (client/js's TestPackageContents checks it).
func TestJSBlocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pkg := filepath.Join(dir, "node_modules", "@anyws", "client")
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	for _, name := range []string{"package.json", "anyws.js", "anyws.d.ts"} {
		b, err := os.ReadFile(filepath.Join(root, "client", "js", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(pkg, name), b, 0o644))
	}
	var files []string
	for i, b := range allBlocks(t)["js"] {
		require.Contains(t, b.body, "import { AnyWS } from ", "%s imports the client", b.where())
		body := strings.ReplaceAll(b.body, `from "/anyws.js"`, `from "@anyws/client"`)
		name := fmt.Sprintf("snippet%d.ts", i+1)
		files = append(files, fmt.Sprintf("%q", name))
		src := fmt.Sprintf("// %s\n%s", b.where(), body)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	require.NotEmpty(t, files, "the docs have js snippets")
	tsconfig := `{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "es2022",
    "module": "esnext",
    "moduleResolution": "bundler",
    "lib": ["es2022", "dom"],
    "types": [],
    "isolatedModules": true,
    "verbatimModuleSyntax": true
  },
  "files": [` + strings.Join(files, ", ") + `]
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tsconfig.json"), []byte(tsconfig), 0o644))
	nodetest.Run(t, dir, nodetest.Bin(t, "tsc"), "-p", ".")
}
