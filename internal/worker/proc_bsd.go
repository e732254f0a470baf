//go:build darwin || freebsd || netbsd

package worker

import "syscall"

// sysProcAttr puts a worker in its own process group, so that killing the
// group ends whatever a plugin started. These systems have no parent-death
// signal: a worker learns its parent died from the request channel's
// hang-up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func endOnParentSignal() {}
