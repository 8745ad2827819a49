//go:build !linux

package main

import "syscall"

// childProcAttr is nil where there is no parent-death signal: a node or
// client process still exits when its stdin closes (the parent's end of
// the pipe closes with the parent), but a redis-server may outlive a
// parent that was killed.
func childProcAttr() *syscall.SysProcAttr { return nil }
