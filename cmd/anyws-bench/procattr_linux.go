package main

import "syscall"

// childProcAttr has the kernel kill a child (node, client process,
// redis-server) when this process dies, however it dies: a run of
// 100,000 connections stopped half-way leaves no process behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
