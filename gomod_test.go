package anyws_test

import (
	"go/version"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGoVersion: go.mod's go line is the least version every module that
// depends on anyws is forced up to, so it must be the lowest the
// dependencies allow, with no patch release. What the code itself needs
// is checked against it by go vet's stdversion analyzer (make test runs
// go vet): a newer standard-library API than the line allows fails there.
func TestGoVersion(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	var declared string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			declared = "go" + strings.TrimSpace(v)
		}
	}
	require.NotEmpty(t, declared, "go.mod has a go line")

	out, err := exec.Command("go", "list", "-m", "-f", "{{if not .Main}}{{.GoVersion}}{{end}}", "all").Output()
	require.NoError(t, err, "go list -m all")
	need := "go1.0"
	for _, v := range strings.Fields(string(out)) {
		if version.Compare("go"+v, need) > 0 {
			need = "go" + v
		}
	}
	require.Zero(t, version.Compare(declared, need),
		"go.mod declares %s, the dependencies need %s: declare that (or choose dependencies that need less)", declared, need)
}
