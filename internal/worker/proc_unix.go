//go:build darwin || freebsd || linux || netbsd

package worker

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// killGroup kills the worker's process group: the worker and any process a
// plugin started that did not leave the group.
func killGroup(pid int) {
	_ = unix.Kill(-pid, unix.SIGKILL)
}

// endWithParent ends the worker's group when plugctl closes the request
// channel or dies, whatever the worker is doing: a goroutine waits, in one
// blocked poll(2) that costs nothing per plugin, for the channel's hang-up,
// which comes when no process holds its write end any more. (Reading the
// requests on a goroutine of their own instead cost ten context switches
// per plugin.)
func endWithParent(reqs *os.File) {
	fd := int32(reqs.Fd())
	go func() {
		fds := []unix.PollFd{{Fd: fd}} // no events asked: a hang-up is always reported
		for {
			if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
				return
			}
			if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				endGroup()
			}
		}
	}()
	endOnParentSignal()
}

// endGroup ends the worker and every process in its group: those its plugins
// started, unless they left the group. A worker that does not lead its group
// (started by hand) ends alone.
func endGroup() {
	if unix.Getpgrp() == os.Getpid() {
		_ = unix.Kill(0, unix.SIGKILL)
	}
	os.Exit(0)
}

// describeExit says how a worker that gave no result ended.
func describeExit(st *os.ProcessState) (v Verdict, signal, exit string) {
	if st == nil {
		return Failed, "", "ended in an unknown way"
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return Failed, "", st.String()
	}
	if ws.Signaled() {
		sig := unix.Signal(ws.Signal())
		name := unix.SignalName(sig)
		if name == "" {
			name = fmt.Sprintf("signal %d", int(sig))
		}
		return Crashed, name, fmt.Sprintf("killed by %s (%s)", name, sig.String())
	}
	return Failed, "", fmt.Sprintf("exited with status %d", ws.ExitStatus())
}

// passChannels gives the worker the request and event pipes as fd 3 and 4.
func passChannels(cmd *exec.Cmd, req, ev *os.File) ([]string, error) {
	cmd.ExtraFiles = []*os.File{req, ev}
	return []string{"3", "4"}, nil
}
