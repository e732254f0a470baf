//go:build linux

package procstate

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

// lastTasks and lastGo are the numbers of threads, all and the runtime's,
// the last snapshot found.
var lastTasks, lastGo atomic.Int64

// threads counts the process's threads that are not the Go runtime's, or
// returns -1 when it cannot tell. Two kinds of evidence, each a lower
// bound, and the larger one counts:
//
//   - the number of threads less the runtime's count of its own. The
//     runtime counts a thread it is about to start before the thread
//     exists (on a locked thread such as the worker's, it even hands the
//     start to another thread), which would hide a plugin's thread: when
//     its count moved since the last snapshot, the two numbers are read
//     again, a millisecond apart, until two readings agree;
//   - when the number of threads changed since the last snapshot, the
//     threads blocked outside the Go program's code: the runtime's own
//     threads block only in its own system calls, so a thread waiting in
//     the C library or a plugin is a plugin's (or a library's it loaded).
func threads() int {
	var m, prev measurement
	for i := range 20 {
		var ok bool
		if m, ok = measure(); !ok {
			return -1
		}
		if m.goThreads == lastGo.Load() || (i > 0 && m.sameCounts(prev)) {
			break
		}
		prev = m
		time.Sleep(time.Millisecond)
	}
	lastGo.Store(m.goThreads)
	plugin := max(0, len(m.tasks)-int(m.goThreads))
	if int64(len(m.tasks)) != lastTasks.Swap(int64(len(m.tasks))) {
		plugin = max(plugin, blockedOutsideGo(m.tasks))
	}
	return plugin
}

// measurement is the process's threads and the runtime's count of its own.
type measurement struct {
	tasks     []int
	goThreads int64
}

func (m measurement) sameCounts(o measurement) bool {
	return m.goThreads == o.goThreads && len(m.tasks) == len(o.tasks)
}

// measure lists the threads, with the runtime's count read on both sides
// of the listing (and the listing taken again if it moved).
func measure() (measurement, bool) {
	sample := []metrics.Sample{{Name: goThreads}}
	read := func() (int64, bool) {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0, false
		}
		return int64(sample[0].Value.Uint64()), true
	}
	for range 5 {
		before, ok := read()
		if !ok {
			return measurement{}, false
		}
		tasks, err := listTasks()
		if err != nil {
			return measurement{}, false
		}
		if after, _ := read(); after == before {
			return measurement{tasks, before}, true
		}
	}
	return measurement{}, false
}

func listTasks() ([]int, error) {
	dir, err := unix.Open("/proc/self/task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	buf := make([]byte, 8192)
	var tids []int
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return tids, nil
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			if tid, err := strconv.Atoi(name); err == nil {
				tids = append(tids, tid)
			}
		}
	}
}

// blockedOutsideGo counts the threads, other than the calling one, that
// are blocked with their instruction pointer outside this program's code
// (/proc/self/task/TID/syscall ends with the stack and instruction
// pointers of a blocked thread, or says "running").
func blockedOutsideGo(tids []int) int {
	lo, hi := goText()
	if lo == 0 {
		return 0
	}
	self := unix.Gettid()
	n := 0
	for _, tid := range tids {
		if tid == self {
			continue
		}
		b, err := readProc("/proc/self/task/" + strconv.Itoa(tid) + "/syscall")
		if err != nil {
			continue
		}
		f := bytes.Fields(b)
		if len(f) < 3 {
			continue // "running": no evidence either way
		}
		pc, err := strconv.ParseUint(strings.TrimPrefix(string(f[len(f)-1]), "0x"), 16, 64)
		if err == nil && pc != 0 && (uintptr(pc) < lo || uintptr(pc) >= hi) {
			n++
		}
	}
	return n
}

// goText returns the bounds of the executable mapping that holds this
// program's Go code, from /proc/self/maps.
var goText = sync.OnceValues(func() (lo, hi uintptr) {
	here := reflect.ValueOf(listTasks).Pointer()
	b, err := readProc("/proc/self/maps")
	if err != nil {
		return 0, 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		r, _, _ := bytes.Cut(line, []byte(" "))
		a, z, ok := bytes.Cut(r, []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(a), 16, 64)
		end, err2 := strconv.ParseUint(string(z), 16, 64)
		if err1 == nil && err2 == nil && uintptr(start) <= here && here < uintptr(end) {
			return uintptr(start), uintptr(end)
		}
	}
	return 0, 0
})

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
