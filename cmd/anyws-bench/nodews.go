package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A Node control runs as node with its script from the repository's
// testdata/node, whose node_modules `make deps` installs; it speaks the
// same child protocol as this binary's -server (server.go).

// nodeDirEnv names testdata/node when the tool runs outside the
// repository.
const nodeDirEnv = "ANYWS_BENCH_NODE_DIR"

// nodeDir finds testdata/node with its ws package installed: $ANYWS_BENCH_NODE_DIR,
// or testdata/node in the working directory or one above it
// (`go run -C cmd/anyws-bench .` runs in cmd/anyws-bench).
func nodeDir() (string, error) {
	var tried []string
	try := func(dir string) bool {
		tried = append(tried, dir)
		_, err := os.Stat(filepath.Join(dir, "node_modules", "ws", "package.json"))
		return err == nil
	}
	if d := os.Getenv(nodeDirEnv); d != "" {
		if try(d) {
			return d, nil
		}
	} else if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if d := filepath.Join(dir, "testdata", "node"); try(d) {
				return d, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("anyws-bench: Node's ws package not found (run `make deps` in the repository, or set %s to its testdata/node); looked in %s", nodeDirEnv, strings.Join(tried, ", "))
}

// startNode starts info's Node control and reads the address it listens
// on.
func startNode(info implInfo) (*server, error) {
	dir, err := nodeDir()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("anyws-bench: %s needs node: %w", info.name, err)
	}
	cmd := exec.Command(node, "--expose-gc", filepath.Join(dir, info.node))
	cmd.Dir = dir
	cmd.SysProcAttr = childProcAttr()
	cmd, stdin, stdout, err := startCmd(info.name, pinned(cmd))
	if err != nil {
		return nil, err
	}
	return serverFrom(info, cmd, stdin, stdout)
}
