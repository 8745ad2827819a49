package nodetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bin is the path of a command the harness installs
// (testdata/node/node_modules/.bin/<name>: tsc, esbuild). A missing one
// fails the test with the command to run.
func Bin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(HarnessDir(t), "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		require.FailNow(t, "the Node test harness has no "+name+" ("+p+" is missing): run `make deps` in the repository root")
	}
	return p
}

// commandTimeout bounds one npm, tsc or esbuild run: each takes seconds.
const commandTimeout = 3 * time.Minute

// Run runs a command in dir and returns its standard output; a failure
// fails the test with both outputs.
func Run(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil && filepath.Base(name) == name {
		require.FailNow(t, name+" is not on PATH: the JavaScript package tests need Node.js 20.16 or later with npm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.NoError(t, err, "%s %q in %s\nstdout:\n%s\nstderr:\n%s", name, args, dir, stdout.Bytes(), stderr.Bytes())
	return stdout.Bytes()
}
