//go:build darwin || freebsd || linux || netbsd

package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

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
			switch {
			case fds[0].Revents&unix.POLLNVAL != 0:
				// Not open any more: a plugin closed it.
				endGroup(exitChannelClosed)
			case fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0:
				endGroup(0)
			}
		}
	}()
	endOnParentSignal()
}

// channelFloor is the lowest descriptor a worker keeps its channels on:
// plugins that redirect or close descriptors mostly touch the first few.
// A plugin that closes every descriptor still closes them, and the worker
// says so with its exit status. It stays below 64, the descriptors a
// process has room for from the start: growing the table in a process with
// threads makes the kernel wait for an RCU grace period, 5 to 10 ms.
const channelFloor = 48

// moveHigh moves f to a descriptor at or above channelFloor (or the highest
// free one below it when the limit on open files is lower), close-on-exec.
func moveHigh(f *os.File) (*os.File, error) {
	old := int(f.Fd())
	floor := channelFloor
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && lim.Cur < uint64(floor)+16 {
		floor = max(3, int(lim.Cur)/2)
	}
	fd, err := unix.FcntlInt(uintptr(old), unix.F_DUPFD_CLOEXEC, floor)
	if err != nil {
		return nil, err
	}
	f.Close()
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// identity is what a descriptor is open on.
type identity struct{ dev, ino uint64 }

func fileIdentity(f *os.File) identity {
	id, _ := fdIdentity(f)
	return id
}

// fdIdentity says what f's descriptor is open on now, and whether it is
// open at all.
func fdIdentity(f *os.File) (identity, bool) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return identity{}, false
	}
	return identity{uint64(st.Dev), uint64(st.Ino)}, true
}

func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// lowFDs is how many of the lowest descriptors warmUp keeps free of the
// runtime's own.
const lowFDs = 16

// warmUp makes the Go runtime open, before the first snapshot, the
// descriptors it opens on first use: its poller, with its wake-up
// descriptor, which opening a file through package os starts. They are then
// part of the state every plugin finds, never taken for a plugin's. Like
// the channels, they go above the first few descriptors, which plugins that
// redirect descriptors (dup2 onto 3 and 4) most often overwrite: the
// descriptors below lowFDs are held while the runtime opens its own.
func warmUp() {
	var held []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		if fd >= lowFDs {
			unix.Close(fd)
			break
		}
		held = append(held, fd)
	}
	// Any file starts the poller; /dev/null is one a sandboxed worker
	// may open too.
	if f, err := os.Open(os.DevNull); err == nil {
		f.Close()
	}
	for _, fd := range held {
		unix.Close(fd)
	}
	idleThreads()
}

// idleThreads has the runtime start its threads now, and keep them idle:
// enough that it never needs a new one while a plugin's thread calls back
// into Go. A thread takes its creator's name, and the worker tells a
// plugin's threads from the runtime's by name (procstate.MarkHostThread);
// the callbacks lock their thread against this, but purego's dispatch
// allocates before they can, and a collection it starts then wakes more
// threads than were idle: one in about fifteen runs of a plugin whose
// threads log counted a thread the runtime had cloned from one of them.
// Each goroutine holds its own thread until all have started, so each of
// them is a thread of its own, created by the runtime's own threads.
func idleThreads() {
	n := 2*runtime.GOMAXPROCS(0) + 4
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	release := make(chan struct{})
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	close(release)
	done.Wait()
}

// endGroup ends the worker and everything its plugins started, and exits
// with code. On Linux the worker is a subreaper, so that is its descendants
// (endDescendants), wherever they moved; elsewhere it is the worker's
// process group, the worker included, which then dies of SIGKILL.
func endGroup(code int) {
	if endDescendants() {
		os.Exit(code)
	}
	if unix.Getpgrp() == os.Getpid() {
		_ = unix.Kill(0, unix.SIGKILL)
	}
	os.Exit(code)
}

// debugger is how the hints start plugctl under a debugger here.
const debugger = "gdb --args"

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

// cpuTime returns the CPU time a finished worker used.
func cpuTime(st *os.ProcessState) time.Duration {
	if st == nil {
		return 0
	}
	return st.UserTime() + st.SystemTime()
}

// cpuHardLimit returns the hard CPU time limit workers inherit (0: none).
func cpuHardLimit() time.Duration {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_CPU, &lim) != nil || lim.Max == unix.RLIM_INFINITY || lim.Max > 1<<32 {
		return 0
	}
	return time.Duration(lim.Max) * time.Second
}

// passChannels gives the worker the request and event pipes as fd 3 and 4.
func passChannels(cmd *exec.Cmd, req, ev *os.File) ([]string, error) {
	cmd.ExtraFiles = []*os.File{req, ev}
	return []string{"3", "4"}, nil
}
