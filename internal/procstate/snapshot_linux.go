//go:build linux

package procstate

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/plugctl/plugctl/internal/loader"
	"golang.org/x/sys/unix"
)

// numSignals is the number of signals Linux has, plus one: signals are
// numbered from 1.
const numSignals = 65

// Take reads the process's shared state. The signal mask is that of the
// calling thread: lock the goroutine to its thread (runtime.LockOSThread)
// when that matters. Threads are counted only on the host thread
// (MarkHostThread); elsewhere Threads is -1, unknown.
func Take() Snapshot {
	s := Snapshot{Locale: loader.Locale(), Threads: threads()}
	s.Umask = umask(s.Threads == 0)
	s.Dir, _ = unix.Getwd()
	s.Signals = make([]Action, numSignals)
	for sig := 1; sig < numSignals; sig++ {
		s.Signals[sig] = sigaction(sig)
	}
	s.Mask = sigmask()
	s.FDs = listFDs()
	s.Env = environ()
	s.Limits = limits()
	s.Timers = timers()
	return s
}

// lastEnv is the C environment as the last snapshot found it, in the
// C library's order: an unchanged environment is not copied again.
var lastEnv struct {
	sync.Mutex
	raw, sorted []string
}

// environ returns the C library's environment, sorted.
func environ() []string {
	lastEnv.Lock()
	defer lastEnv.Unlock()
	raw := loader.CEnviron(lastEnv.raw)
	if lastEnv.sorted != nil && len(raw) == len(lastEnv.raw) && (len(raw) == 0 || &raw[0] == &lastEnv.raw[0]) {
		return lastEnv.sorted
	}
	sorted := slices.Clone(raw)
	slices.Sort(sorted)
	lastEnv.raw, lastEnv.sorted = raw, sorted
	return sorted
}

// sigaction reads sig's disposition from the kernel: the C library's
// sigaction would do the same, and Go's signal package knows only its own.
func sigaction(sig int) Action {
	// struct sigaction of the kernel: handler, flags, then (restorer and)
	// mask. Eight words hold every architecture's layout.
	var raw [8]uint64
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&raw[0])), 8, 0, 0)
	if errno != 0 {
		return Action{}
	}
	a := Action{Handler: uintptr(raw[0]), Flags: raw[1]}
	copy(a.Raw[:], raw[:4])
	return a
}

// sigmask reads the calling thread's signal mask.
func sigmask() uint64 {
	var old uint64
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if errno != 0 {
		return 0
	}
	return old
}

// umask reads the umask. The umask system call sets it to read it, so a
// plugin's thread creating a file meanwhile would get the wrong
// permissions: with no such thread (quiet) it is read that way, at the cost
// of two system calls; otherwise from /proc, which changes nothing.
func umask(quiet bool) int {
	if quiet {
		old := unix.Umask(0)
		unix.Umask(old)
		return old
	}
	b, err := readProc("/proc/self/status")
	if err != nil {
		return -1
	}
	_, rest, ok := bytes.Cut(b, []byte("\nUmask:"))
	if !ok {
		return -1
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 8, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// fdsNow lists the open descriptors from /proc/self/fd, leaving out the
// held files snapshots read through. When as many are open as the last
// listing found, and each it found is still open on the same file, the set
// is the same: that listing is returned, without reading the directory.
func fdsNow() []FD {
	if fds, ok := unchanged(heldFDs.size()); ok {
		return fds
	}
	nums, err := heldFDs.numbers()
	if err != nil {
		return nil
	}
	own := heldNow()
	out := make([]FD, 0, len(nums))
	all := make([]fdKey, 0, len(nums))
	for _, n := range nums {
		var st unix.Stat_t
		if _, _, e := unix.RawSyscall(unix.SYS_FSTAT, uintptr(n), uintptr(unsafe.Pointer(&st)), 0); e != 0 {
			continue
		}
		all = append(all, fdKey{n, st.Dev, st.Ino})
		if slices.Contains(own, heldIdentity{n, st.Dev, st.Ino}) {
			continue
		}
		f := FD{Num: n, Dev: st.Dev, Ino: st.Ino}
		f.CloExec, f.Desc = describe(f)
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FD) int { return a.Num - b.Num })
	// A descriptor that closed between reading the directory and its fstat
	// is not in all, and the count will disagree: the next listing reads
	// the directory again.
	lastListing.Lock()
	lastListing.all, lastListing.fds = all, slices.Clone(out)
	lastListing.Unlock()
	return out
}

// lastListing is what fdsNow last read from /proc/self/fd: every
// descriptor in it (held files' too), and the descriptors it returned.
var lastListing struct {
	sync.Mutex
	all []fdKey
	fds []FD
}

// unchanged returns the last listing if count descriptors are open (0:
// unknown) and each descriptor in that listing is open on the same file.
func unchanged(count int64) ([]FD, bool) {
	lastListing.Lock()
	defer lastListing.Unlock()
	if count <= 0 || lastListing.all == nil || count != int64(len(lastListing.all)) {
		return nil, false
	}
	for _, k := range lastListing.all {
		var st unix.Stat_t
		if _, _, e := unix.RawSyscall(unix.SYS_FSTAT, uintptr(k.num), uintptr(unsafe.Pointer(&st)), 0); e != 0 || st.Dev != k.dev || st.Ino != k.ino {
			return nil, false
		}
	}
	return slices.Clone(lastListing.fds), true
}

// lastFDs is what the last snapshot found open.
var lastFDs struct {
	sync.Mutex
	fds []FD
}

// listFDs lists the open descriptors, leaving out those another thread
// holds for a moment (inBoth): a second listing drops them, but a listing
// that finds the files the last snapshot found has none to drop and is not
// made twice. (Listing /proc/self/fd is a third of a snapshot's cost,
// which a worker pays after every plugin.)
func listFDs() []FD {
	fds := listing()
	lastFDs.Lock()
	defer lastFDs.Unlock()
	if lastFDs.fds == nil || !slices.EqualFunc(fds, lastFDs.fds, sameFile) {
		fds = inBoth(fds, listing())
	}
	lastFDs.fds = slices.Clone(fds)
	return fds
}

// listing is fdsNow; tests replace it.
var listing = fdsNow

// fdKey is a descriptor and the file it is open on.
type fdKey struct {
	num      int
	dev, ino uint64
}

// descriptions caches, by descriptor and file, what a descriptor is open on
// and whether it is close-on-exec: a worker takes a snapshot per plugin, and
// most descriptors stay. (A descriptor whose close-on-exec flag changes
// without its file changing keeps the flag it was first seen with; only
// new descriptors' flags are reported.)
var descriptions struct {
	sync.Mutex
	m map[fdKey]struct {
		cloexec bool
		desc    string
	}
}

func describe(f FD) (cloexec bool, desc string) {
	k := fdKey{f.Num, f.Dev, f.Ino}
	descriptions.Lock()
	defer descriptions.Unlock()
	if d, ok := descriptions.m[k]; ok {
		return d.cloexec, d.desc
	}
	flags, _, _ := unix.RawSyscall(unix.SYS_FCNTL, uintptr(f.Num), unix.F_GETFD, 0)
	cloexec = flags&unix.FD_CLOEXEC != 0
	desc, _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(f.Num))
	if descriptions.m == nil || len(descriptions.m) > 4096 {
		descriptions.m = map[fdKey]struct {
			cloexec bool
			desc    string
		}{}
	}
	descriptions.m[k] = struct {
		cloexec bool
		desc    string
	}{cloexec, desc}
	return cloexec, desc
}

var limitNames = []struct {
	res  int
	name string
}{
	{unix.RLIMIT_AS, "RLIMIT_AS"}, {unix.RLIMIT_CORE, "RLIMIT_CORE"}, {unix.RLIMIT_CPU, "RLIMIT_CPU"},
	{unix.RLIMIT_DATA, "RLIMIT_DATA"}, {unix.RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {unix.RLIMIT_LOCKS, "RLIMIT_LOCKS"},
	{unix.RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {unix.RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"}, {unix.RLIMIT_NICE, "RLIMIT_NICE"},
	{unix.RLIMIT_NOFILE, "RLIMIT_NOFILE"}, {unix.RLIMIT_NPROC, "RLIMIT_NPROC"}, {unix.RLIMIT_RSS, "RLIMIT_RSS"},
	{unix.RLIMIT_RTPRIO, "RLIMIT_RTPRIO"}, {unix.RLIMIT_RTTIME, "RLIMIT_RTTIME"}, {unix.RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
	{unix.RLIMIT_STACK, "RLIMIT_STACK"},
}

// limits reads every resource limit, except the soft CPU limit: plugctl's
// worker moves that itself for each plugin it runs.
func limits() []Limit {
	out := make([]Limit, 0, len(limitNames))
	for _, l := range limitNames {
		var r unix.Rlimit
		if _, _, e := unix.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(l.res), 0, uintptr(unsafe.Pointer(&r)), 0, 0); e != 0 {
			continue
		}
		if l.res == unix.RLIMIT_CPU {
			r.Cur = 0
		}
		out = append(out, Limit{Name: l.name, Soft: r.Cur, Max: r.Max})
	}
	return out
}

// timers lists the interval timers (alarm, setitimer) and POSIX timers
// (timer_create) that exist.
func timers() []string {
	var out []string
	for _, t := range []struct {
		which unix.ItimerWhich
		name  string
	}{{unix.ITIMER_REAL, "ITIMER_REAL (alarm or setitimer, SIGALRM)"}, {unix.ITIMER_VIRTUAL, "ITIMER_VIRTUAL (setitimer, SIGVTALRM)"}, {unix.ITIMER_PROF, "ITIMER_PROF (setitimer, SIGPROF)"}} {
		var v unix.Itimerval
		if _, _, e := unix.RawSyscall(unix.SYS_GETITIMER, uintptr(t.which), uintptr(unsafe.Pointer(&v)), 0); e == 0 && (v.Value.Sec != 0 || v.Value.Usec != 0) {
			out = append(out, "the interval timer "+t.name)
		}
	}
	b, err := heldTimers.read()
	if err != nil {
		return out
	}
	// Records of "ID: n", "signal: sig/mask", "notify: how/target", "ClockID: n".
	var id, sig, notify string
	flush := func() {
		if id != "" {
			out = append(out, fmt.Sprintf("a POSIX timer (timer_create, id %s, signal %s, notify %s)", id, sig, notify))
		}
		id, sig, notify = "", "", ""
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			continue
		}
		switch string(k) {
		case "ID":
			flush()
			id = string(v)
		case "signal":
			n, _, _ := bytes.Cut(v, []byte("/"))
			if sn, err := strconv.Atoi(string(n)); err == nil {
				sig = signalName(sn)
			}
		case "notify":
			notify = string(v)
		}
	}
	flush()
	return out
}

// host is set by MarkHostThread: the thread that calls plugin code, and the
// name the runtime's threads have.
var host struct {
	sync.Mutex
	tid    int
	goName string
	last   []int // the threads the last count saw, sorted, when it found none of a plugin's (nil: none yet)
}

// hostThreadName is what MarkHostThread names the calling thread.
const hostThreadName = "plugctl-host"

// MarkHostThread names the calling thread, which is about to call plugin
// code, so that Take can tell the threads plugins start from the Go
// runtime's exactly, and returns the function that gives the thread its
// name back. A new thread takes the name of the thread that created it:
// plugins create theirs from this thread (or from their own), while the
// runtime never starts one from a thread locked to its goroutine, so the
// runtime's threads keep the name all threads had at start. Lock the
// goroutine to its thread (runtime.LockOSThread) from before the call until
// after the returned function has run, and take the snapshots in between.
func MarkHostThread() (unmark func(), err error) {
	host.Lock()
	goName := host.goName
	host.Unlock()
	// The calling thread is one of the runtime's: its name is theirs, read
	// once.
	if goName == "" {
		name, err := readProc("/proc/thread-self/comm")
		if err != nil {
			return nil, err
		}
		goName = strings.TrimSuffix(string(name), "\n")
	}
	own := goName
	mine := hostThreadName
	if goName == mine {
		mine = hostThreadName[:len(hostThreadName)-1] + "*"
	}
	if err := setThreadName(mine); err != nil {
		return nil, err
	}
	host.Lock()
	host.tid, host.goName = unix.Gettid(), goName
	host.Unlock()
	return func() {
		host.Lock()
		host.tid = 0
		host.Unlock()
		_ = setThreadName(own)
	}, nil
}

func setThreadName(name string) error {
	b := append([]byte(name), 0)
	return unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}

// Mask returns the calling thread's signal mask, as Take has it.
func Mask() uint64 { return sigmask() }

// threads counts the process's threads that are not the Go runtime's, or
// returns -1 when it cannot tell: when the calling thread is not the host
// thread MarkHostThread marked. On it the count is exact: the threads,
// other than the host thread, not named as the runtime's threads are
// (their names are read only when the set of threads changed since a
// count that found none). Counting the threads less the runtime's own count
// of its threads is not exact: the runtime counts a thread it is about to
// start before the thread exists, which hid a plugin's thread in about one
// fresh worker in fifteen.
func threads() int {
	host.Lock()
	tid, goName := host.tid, host.goName
	host.Unlock()
	if goName == "" || tid != unix.Gettid() {
		return -1
	}
	return namedThreads(tid, goName)
}

// namedThreads counts the threads, other than the host thread, whose name
// is not the runtime's threads' name.
func namedThreads(self int, goName string) int {
	tids, err := listTasks()
	if err != nil {
		return -1
	}
	slices.Sort(tids)
	host.Lock()
	last := host.last
	host.Unlock()
	if last != nil && slices.Equal(tids, last) {
		// None of a plugin's then, and the same threads now: still none.
		// (The number alone is not enough: a thread whose goroutine ends
		// locked to it ends too, and one of a plugin's can take its place
		// in the count; a unit test met that under load.)
		return 0
	}
	n := 0
	for _, t := range tids {
		if t == self {
			continue
		}
		// "TID (name) state ppid pgrp session tty tpgid flags ...": one
		// read gives all. A thread that has ended (and been joined) can be
		// listed a moment longer: as Z or X, or still running its exit
		// with PF_EXITING set (a CI run counted one that pthread_join had
		// already returned for).
		stat, err := readProc("/proc/self/task/" + strconv.Itoa(t) + "/stat")
		open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if err != nil || open < 0 || close < open || close+2 >= len(stat) {
			continue
		}
		if !exiting(stat[close+2:]) && string(stat[open+1:close]) != goName {
			n++
		}
	}
	host.Lock()
	host.last = nil
	if n == 0 {
		host.last = tids
	}
	host.Unlock()
	return n
}

// pfExiting is the kernel's task flag for a task in its exit path.
const pfExiting = 0x4

// Ending reports whether a task's /proc stat line says it has ended or is
// ending (exiting, on its rest after the command's closing parenthesis).
func Ending(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 <= len(stat) && exiting(stat[i+2:])
}

// exiting reports whether a task's stat, from its state on, says it has
// ended or is ending: state Z or X, or PF_EXITING among its flags.
func exiting(rest []byte) bool {
	f := bytes.Fields(rest)
	switch {
	case len(f) == 0:
		return false
	case f[0][0] == 'Z' || f[0][0] == 'X':
		return true
	case len(f) < 7:
		return false
	}
	flags, err := strconv.ParseUint(string(f[6]), 10, 64)
	return err == nil && flags&pfExiting != 0
}

// listTasks lists the process's threads.
func listTasks() ([]int, error) {
	return heldTasks.numbers()
}

// readProc reads a small file from /proc without the runtime's poller.
func readProc(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if n > 0 {
			out = append(out, buf[:n]...)
		}
		if err != nil || n <= 0 || len(out) > 1<<20 {
			return out, err
		}
	}
}
