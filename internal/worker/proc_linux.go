//go:build linux

package worker

import (
	"os"
	"os/signal"
	"syscall"
)

// sysProcAttr puts a worker in its own process group, so that killing the
// group ends whatever a plugin started, and has the kernel signal it if
// plugctl dies first (endWithParent).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// endOnParentSignal makes the parent-death signal end the worker's whole
// group. It is a second way the worker learns of its parent's death, besides
// the request channel's hang-up: SIGKILL would end the worker alone and leave
// what its plugin forked running.
func endOnParentSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	go func() {
		<-c
		endGroup()
	}()
}
