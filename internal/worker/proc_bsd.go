//go:build darwin || freebsd || netbsd

package worker

import "syscall"

// sysProcAttr puts a worker in its own process group, so that killing the
// group ends whatever a plugin started. These systems have no parent-death
// signal: a worker whose parent died exits when it next reads a request.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
