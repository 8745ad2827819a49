package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// serverCPUs is the CPU list (taskset's syntax) the servers run on with
// -pin; empty: any CPU.
var serverCPUs string

// pinCPUs gives the servers the first CPU this process may run on and
// the tool (its clients, and the child processes it starts other than
// servers) the others, so that servers and clients stop competing for
// cores, as when the clients run on other machines. Without it, a
// server that spreads a burst of writes over every core holds up the
// clients that time its events, and one that writes from one thread
// leaves them a core: shared cores favour the single writer at p50
// (docs/performance.md, "Servers on a core of their own"). Linux only;
// it needs taskset (util-linux).
func pinCPUs() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("-pin needs Linux (taskset)")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("-pin needs taskset (util-linux): %w", err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("-pin: %w", err)
	}
	cpus, err := allowedCPUs(string(status))
	if err != nil {
		return fmt.Errorf("-pin: %w", err)
	}
	if len(cpus) < 2 {
		return fmt.Errorf("-pin needs 2 CPUs or more, this process may use %d", len(cpus))
	}
	rest := make([]string, len(cpus)-1)
	for i, c := range cpus[1:] {
		rest[i] = strconv.Itoa(c)
	}
	// -a: every thread the runtime has started; those it starts later
	// inherit the mask.
	if out, err := exec.Command(taskset, "-a", "-p", "-c", strings.Join(rest, ","), strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
		return fmt.Errorf("-pin: taskset: %v: %s", err, out)
	}
	runtime.GOMAXPROCS(len(rest))
	serverCPUs = strconv.Itoa(cpus[0])
	return nil
}

var cpusAllowed = regexp.MustCompile(`(?m)^Cpus_allowed_list:\s*(\S+)$`)

// allowedCPUs reads the CPUs a process may run on from its
// /proc/PID/status text (Cpus_allowed_list, such as "0-3,6").
func allowedCPUs(status string) ([]int, error) {
	m := cpusAllowed.FindStringSubmatch(status)
	if m == nil {
		return nil, fmt.Errorf("no Cpus_allowed_list in the process status")
	}
	var cpus []int
	for part := range strings.SplitSeq(m[1], ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || b < a {
			return nil, fmt.Errorf("bad Cpus_allowed_list %q", m[1])
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// pinned returns cmd run on serverCPUs through taskset, which execs it
// (the child's pid is the server's, and its Go runtime sizes GOMAXPROCS
// to those CPUs), or cmd itself without -pin. cmd must not be started.
func pinned(cmd *exec.Cmd) *exec.Cmd {
	if serverCPUs == "" {
		return cmd
	}
	c := exec.Command("taskset", append([]string{"-c", serverCPUs, cmd.Path}, cmd.Args[1:]...)...)
	c.Env, c.Dir, c.SysProcAttr = cmd.Env, cmd.Dir, cmd.SysProcAttr
	return c
}
