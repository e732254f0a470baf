//go:build linux

package worker

import "syscall"

// sysProcAttr puts a worker in its own process group, so that killing the
// group ends whatever a plugin started, and has the kernel kill it if plugctl
// dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
