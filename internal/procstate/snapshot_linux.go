//go:build linux

package procstate

import (
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
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
// when that matters.
func Take() Snapshot {
	s := Snapshot{Umask: umask(), Locale: loader.Locale(), Threads: threads()}
	s.Dir, _ = unix.Getwd()
	s.Signals = make([]Action, numSignals)
	for sig := 1; sig < numSignals; sig++ {
		s.Signals[sig] = sigaction(sig)
	}
	s.Mask = sigmask()
	s.FDs = fds()
	s.Env = loader.CEnviron()
	slices.Sort(s.Env)
	s.Limits = limits()
	s.Timers = timers()
	return s
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

// umask reads the umask from /proc, which changes nothing (the umask system
// call sets it to read it, and a thread creating a file meanwhile would get
// the wrong permissions).
func umask() int {
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

// fds lists the open descriptors from /proc/self/fd, leaving out the one
// used to read it.
func fds() []FD {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dir)
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil || n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	out := make([]FD, 0, len(names))
	for _, name := range names {
		n, err := strconv.Atoi(name)
		if err != nil || n == dir {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(n, &st) != nil {
			continue
		}
		flags, _ := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0)
		f := FD{Num: n, Dev: st.Dev, Ino: st.Ino, CloExec: flags&unix.FD_CLOEXEC != 0}
		f.Desc = describe(f, name)
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FD) int { return a.Num - b.Num })
	return out
}

// descriptions caches what each descriptor is open on, by number and file:
// a worker takes a snapshot per plugin, and most descriptors stay.
var descriptions struct {
	sync.Mutex
	m map[FD]string
}

func describe(f FD, name string) string {
	descriptions.Lock()
	defer descriptions.Unlock()
	if d, ok := descriptions.m[f]; ok {
		return d
	}
	d, _ := os.Readlink("/proc/self/fd/" + name)
	if descriptions.m == nil || len(descriptions.m) > 4096 {
		descriptions.m = map[FD]string{}
	}
	descriptions.m[f] = d
	return d
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
		if unix.Getrlimit(l.res, &r) != nil {
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
		if v, err := unix.Getitimer(t.which); err == nil && (v.Value.Sec != 0 || v.Value.Usec != 0) {
			out = append(out, "the interval timer "+t.name)
		}
	}
	b, err := readProc("/proc/self/timers")
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

// goThreads is the runtime's count of the threads it owns: every thread it
// started, not those that only call into Go (a plugin's threads calling
// back).
const goThreads = "/sched/threads/total:threads"

// threads counts the process's threads that are not the Go runtime's, or
// returns -1 when it cannot tell. The runtime counts a thread it is about
// to start a moment before the thread exists, so the count is read on both
// sides of the listing and the listing taken again if the count moved.
func threads() int {
	sample := []metrics.Sample{{Name: goThreads}}
	read := func() (uint64, bool) {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0, false
		}
		return sample[0].Value.Uint64(), true
	}
	for range 5 {
		before, ok := read()
		if !ok {
			return -1
		}
		n, err := countTasks()
		if err != nil {
			return -1
		}
		if after, _ := read(); after == before {
			return max(0, n-int(before))
		}
	}
	return -1
}

func countTasks() (int, error) {
	dir, err := unix.Open("/proc/self/task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(dir)
	buf := make([]byte, 8192)
	count := 0
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil {
			return 0, err
		}
		if n <= 0 {
			return count, nil
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		count += len(names)
	}
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
