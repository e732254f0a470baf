//go:build darwin || freebsd || netbsd

package worker

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts a worker in its own process group, so that killing the
// group ends whatever a plugin started. These systems have no parent-death
// signal: a worker learns its parent died from the request channel's
// hang-up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func endOnParentSignal() {}

// These systems have no child subreaper that plugctl uses: a process a
// plugin starts is found and ended only through the worker's process group,
// so one that calls setsid escapes it.
func becomeReaper()                             {}
func liveDescendants() []Process                { return nil }
func endDescendants() bool                      { return false }
func workerGone(int)                            {}
func oomKills() int64                           { return -1 }
func EndOrphans() []Process                     { return nil }
func startWorker(cmd *exec.Cmd, _ uint64) error { return cmd.Start() }
