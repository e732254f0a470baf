//go:build linux

package worker

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/plugctl/plugctl/internal/procstate"
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
//
// It also asks for SIGPIPE, which then only makes a write fail: without it,
// the worker's write of the end-of-output marker to stdout or stderr after
// plugctl died killed the worker on the spot, before it could end what its
// plugin had started (a daemon outlived plugctl in 2 runs of 25 under load).
func endOnParentSignal() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	go func() {
		<-c
		endGroup(0)
	}()
}

// becomeReaper makes this process a child subreaper: a process any of its
// descendants started whose parent dies becomes its child, not init's. So a
// plugin's double-forked daemon, which left the worker's process group and
// session, is still found, named and ended by its worker, and a dead
// worker's by plugctl.
func becomeReaper() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// proc is a process seen in /proc.
type proc struct {
	pid     int
	zombie  bool
	ending  bool // killed (SIGKILL pending) or in its exit path, not yet a zombie
	command string
}

// children lists pid's child processes, from each of its threads'
// /proc/PID/task/TID/children.
func children(pid int) []int {
	base := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(base + "/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// parentIDs maps each process in /proc to its children, by the parent ID
// in its stat (nil where /proc lists no other process).
func parentIDs() map[int][]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	m := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		i := bytes.LastIndexByte(stat, ')')
		if err != nil || i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(string(f[1])); err == nil {
			m[pp] = append(m[pp], p)
		}
	}
	return m
}

// descendants lists every process below pid, breadth first. A process's
// children come from its threads' children files and from the parent IDs
// of all processes: the kernel documents the children files as reliable
// only while the process is stopped, and under load a worker that read
// them missed the daemon it had to end before exiting. (A sandboxed worker
// can read only its own: there the files are all it has.)
func descendants(pid int) []proc {
	var out []proc
	seen := map[int]bool{pid: true}
	queue := []int{pid}
	byParent := parentIDs()
	for len(queue) > 0 && len(out) < 4096 {
		for _, c := range append(children(queue[0]), byParent[queue[0]]...) {
			if !seen[c] {
				seen[c] = true
				out = append(out, describeProc(c))
				queue = append(queue, c)
			}
		}
		queue = queue[1:]
	}
	return out
}

// deadStat reports whether /proc/PID/stat says the process is a zombie or
// dead. The state follows the command name in parentheses, which may itself
// hold ") ".
func deadStat(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}

// killPending reports whether a process's status shows a SIGKILL it has
// not yet acted on, pending for its main thread (SigPnd) or for the whole
// process (ShdPnd): it is as good as gone.
func killPending(status []byte) bool {
	for _, key := range []string{"\nSigPnd:", "\nShdPnd:"} {
		_, rest, ok := bytes.Cut(status, []byte(key))
		if !ok {
			continue
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		mask, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 64)
		if err == nil && mask&(1<<(unix.SIGKILL-1)) != 0 {
			return true
		}
	}
	return false
}

func describeProc(pid int) proc { return describeProcIn("/proc/"+strconv.Itoa(pid), pid) }

// describeProcIn reads what dir, /proc/PID, says of process pid.
func describeProcIn(dir string, pid int) proc {
	p := proc{pid: pid}
	if stat, err := os.ReadFile(dir + "/stat"); err == nil {
		p.zombie = deadStat(stat)
		p.ending = !p.zombie && procstate.Ending(stat)
	}
	if !p.zombie && !p.ending {
		if status, err := os.ReadFile(dir + "/status"); err == nil {
			p.ending = killPending(status)
		}
	}
	cmd, _ := os.ReadFile(dir + "/cmdline")
	if len(cmd) > 512 {
		cmd = cmd[:512]
	}
	p.command = string(bytes.TrimRight(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}), " "))
	return p
}

// hasChildren reports, in one system call, whether this process has any
// child at all, running or not.
func hasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != unix.ECHILD
}

// liveDescendants lists the running processes below the worker: those its
// plugins started, wherever they moved (the worker is their subreaper).
func liveDescendants() []Process {
	if !hasChildren() {
		return nil
	}
	var out []Process
	for _, p := range descendants(os.Getpid()) {
		if !p.zombie {
			out = append(out, Process{PID: p.pid, Command: p.command})
		}
	}
	return out
}

// endDescendants kills every process below this one until none is left
// running, and reports that it could look (Linux can).
func endDescendants() bool {
	if hasChildren() {
		killAll(os.Getpid())
	}
	return true
}

// killAll kills every running process below pid, round after round: a
// killed process's children become pid's (a subreaper) and are killed in
// the next round. It returns what it killed.
func killAll(pid int) []proc {
	var killed []proc
	seen := map[int]bool{}
	for round := 0; round < 100; round++ {
		alive := 0
		for _, p := range descendants(pid) {
			if p.zombie {
				continue
			}
			alive++
			_ = unix.Kill(p.pid, unix.SIGKILL)
			if !seen[p.pid] {
				seen[p.pid] = true
				killed = append(killed, p)
			}
		}
		if alive == 0 {
			break
		}
		_ = unix.Nanosleep(&unix.Timespec{Nsec: 2e6}, nil)
	}
	return killed
}

// The parent's side: plugctl is a subreaper too, so that what a dead
// worker leaves (a daemon in a session of its own) becomes plugctl's child,
// and is ended.
var orphans struct {
	once    sync.Once
	mu      sync.Mutex // held while a worker starts, and while sweeping
	workers map[int]bool
	ended   []Process
	seen    map[int]bool // the process IDs in ended
	// over is set by EndOrphans, until a worker starts again: the run is
	// over, and a SIGCHLD no longer sweeps (a child the process starts
	// then is none of a plugin's).
	over bool
}

// adoptOrphans makes plugctl a subreaper and, on every SIGCHLD while
// workers run, ends the children of plugctl that are not workers: the
// orphans of workers that died.
func adoptOrphans() {
	orphans.once.Do(func() {
		orphans.workers, orphans.seen = map[int]bool{}, map[int]bool{}
		becomeReaper()
		c := make(chan os.Signal, 16)
		signal.Notify(c, syscall.SIGCHLD)
		go func() {
			for range c {
				orphans.mu.Lock()
				over := orphans.over
				orphans.mu.Unlock()
				if !over {
					sweep()
				}
			}
		}()
	})
}

// startWorker starts cmd as a worker, so that the sweep never takes it for
// an orphan.
func startWorker(cmd *exec.Cmd, _ uint64) error {
	adoptOrphans()
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	orphans.over = false
	if err := cmd.Start(); err != nil {
		return err
	}
	orphans.workers[cmd.Process.Pid] = true
	return nil
}

// workerGone forgets a worker that has been reaped.
func workerGone(pid int) {
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	delete(orphans.workers, pid)
}

// sweep kills plugctl's children that are not workers, with everything
// below them, and reaps the dead ones (never a worker: its exec.Cmd does).
func sweep() {
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	self := os.Getpid()
	for _, c := range children(self) {
		if orphans.workers[c] {
			continue
		}
		p := describeProc(c)
		if !p.zombie {
			// An orphan killed in one sweep may still run at the next.
			for _, k := range append([]proc{p}, killAll(c)...) {
				if !leftRunning(k) {
					continue
				}
				if !orphans.seen[k.pid] {
					orphans.seen[k.pid] = true
					orphans.ended = append(orphans.ended, Process{PID: k.pid, Command: k.command})
				}
			}
			_ = unix.Kill(c, unix.SIGKILL)
		}
		var ws unix.WaitStatus
		_, _ = unix.Wait4(c, &ws, unix.WNOHANG, nil)
	}
}

// leftRunning reports whether p, an orphan the sweep ends, was left
// running by a plugin. One a SIGKILL to its group reached as its worker
// died was not, and is not reported: killed and not yet acted on it
// (ending), or exiting already, its memory gone (no command line). Under
// load a CI run reported libloop.so's child, killed with its worker on a
// timeout, before it had acted on the kill.
func leftRunning(p proc) bool { return p.command != "" && !p.ending && !p.zombie }

// EndOrphans ends, before plugctl exits, what plugins left behind in
// workers that died (they became plugctl's children), and returns every
// such process it ended during the run. Call it once every worker is
// closed: until a worker starts again, no SIGCHLD sweeps, so that a child
// the process starts after the run (a test's validator) is left alone.
func EndOrphans() []Process {
	defer func() {
		orphans.mu.Lock()
		orphans.over = true
		orphans.mu.Unlock()
	}()
	if orphans.workers == nil {
		return nil
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		sweep()
		orphans.mu.Lock()
		left := slices.ContainsFunc(children(os.Getpid()), func(c int) bool { return !orphans.workers[c] })
		orphans.mu.Unlock()
		if !left {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	ended := orphans.ended
	orphans.ended = nil
	return ended
}

// oomKills reads how many processes the kernel's out-of-memory killer has
// ended since boot (-1: unknown).
func oomKills() int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return -1
	}
	_, rest, ok := bytes.Cut(b, []byte("\noom_kill "))
	if !ok {
		return -1
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.ParseInt(string(line), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
