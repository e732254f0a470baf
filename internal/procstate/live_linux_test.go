package procstate

import (
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"golang.org/x/sys/unix"

	"github.com/plugctl/plugctl/internal/report"
)

// Each change is made to this very process, seen by Take, and undone.
func TestTakeSeesChanges(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	libc := func(name string) uintptr {
		p, err := purego.Dlsym(purego.RTLD_DEFAULT, name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cstr := func(s string) uintptr {
		b := append([]byte(s), 0)
		return uintptr(unsafe.Pointer(&b[0]))
	}
	for _, tc := range []struct {
		kind         report.ID
		change, undo func()
	}{
		{report.WorkingDirectory, func() { os.Chdir("/") }, func() {}},
		{report.Umask, func() { unix.Umask(0o77) }, func() { unix.Umask(0o22) }},
		{report.DescriptorLeftOpen, func() { unix.Open("/dev/null", unix.O_RDONLY, 0) }, func() {}},
		{report.SignalHandler, func() { signal.Ignore(syscall.SIGUSR2) }, func() { signal.Reset(syscall.SIGUSR2) }},
		{report.SignalMask, func() {
			set := unix.Sigset_t{Val: [16]uint64{1 << (unix.SIGUSR1 - 1)}}
			unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
		}, func() {
			set := unix.Sigset_t{Val: [16]uint64{1 << (unix.SIGUSR1 - 1)}}
			unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
		}},
		{report.Environment, func() { purego.SyscallN(libc("setenv"), cstr("PROCSTATE_TEST"), cstr("1"), 1) },
			func() { purego.SyscallN(libc("unsetenv"), cstr("PROCSTATE_TEST")) }},
		{report.Locale, func() { purego.SyscallN(libc("setlocale"), 6, cstr("C.UTF-8")) }, func() { purego.SyscallN(libc("setlocale"), 6, cstr("C")) }},
		{report.ResourceLimit, func() {
			var r unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_CORE, &r)
			r.Cur = 0
			unix.Setrlimit(unix.RLIMIT_CORE, &r)
		}, func() {}},
		{report.Timer, func() { unix.Setitimer(unix.ITIMER_REAL, unix.Itimerval{Value: unix.Timeval{Sec: 3600}}) },
			func() { unix.Setitimer(unix.ITIMER_REAL, unix.Itimerval{}) }},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			dir, _ := os.Getwd()
			defer os.Chdir(dir)
			var core unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_CORE, &core)
			defer unix.Setrlimit(unix.RLIMIT_CORE, &core)
			if tc.kind == report.ResourceLimit && core.Cur == 0 {
				core.Cur = 1 << 20
				unix.Setrlimit(unix.RLIMIT_CORE, &core)
			}
			before := Take()
			tc.change()
			defer tc.undo()
			after := Take()
			var kinds []report.ID
			for _, c := range Compare(before, after, nil) {
				kinds = append(kinds, c.Kind)
			}
			if !slices.Equal(kinds, []report.ID{tc.kind}) {
				t.Errorf("changes %q, want only %s", kinds, tc.kind)
			}
		})
	}
}

// A thread the Go runtime did not start, blocked in the C library, counts;
// the runtime's own threads do not; off the host thread nothing is counted.
func TestTakeCountsForeignThreads(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unmark, err := MarkHostThread()
	if err != nil {
		t.Fatal(err)
	}
	defer unmark()
	if n := Take().Threads; n != 0 {
		t.Fatalf("before: %d threads not the runtime's", n)
	}
	create, err := purego.Dlsym(purego.RTLD_DEFAULT, "pthread_create")
	if err != nil {
		t.Fatal(err)
	}
	pause, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pause")
	var tid uintptr
	// A thread that runs the C library's pause(): it blocks at once, in C.
	if r, _, _ := purego.SyscallN(create, uintptr(unsafe.Pointer(&tid)), 0, pause, 0); r != 0 {
		t.Fatalf("pthread_create: %d", r)
	}
	var n int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n = Take().Threads; n == 1 {
			break
		}
	}
	if n != 1 {
		t.Errorf("with a C thread: %d threads not the runtime's, want 1", n)
	}
	if got := Running(Snapshot{}, Snapshot{Threads: n}); len(got) != 1 || got[0] != "1 thread" {
		t.Errorf("Running: %q", got)
	}
	cancel, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pthread_cancel")
	purego.SyscallN(cancel, tid)
	unmark()
	if n := Take().Threads; n != -1 {
		t.Errorf("off the host thread: %d threads, want -1 (unknown)", n)
	}
}

// onMarkedHostThread runs the calling test again in a process of its own,
// as a worker would be, and returns false; in that process it locks the
// test to its thread, marks it the host thread, and returns the unmarking
// and true.
func onMarkedHostThread(t *testing.T) (unmark func(), ok bool) {
	t.Helper()
	if os.Getenv("PROCSTATE_TEST") != t.Name() {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PROCSTATE_TEST="+t.Name())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return nil, false
	}
	runtime.LockOSThread()
	unmark, err := MarkHostThread()
	if err != nil {
		t.Fatal(err)
	}
	return unmark, true
}

// With the host thread marked, a thread started from it counts at once,
// even before it has run at all, and the runtime's threads, however many it
// starts meanwhile, never do; once the mark is gone the thread is the
// runtime's again. (Run in a process of its own, as a worker would.)
func TestMarkedHostThreadCountsExactly(t *testing.T) {
	unmark, ok := onMarkedHostThread(t)
	if !ok {
		return
	}
	defer unmark()
	if n := Take().Threads; n != 0 {
		t.Fatalf("before: %d threads not the runtime's", n)
	}
	// The runtime starts threads of its own: none counts.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // forces a thread per goroutine
			time.Sleep(20 * time.Millisecond)
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if n := Take().Threads; n != 0 {
		t.Errorf("with the runtime's new threads: %d threads not the runtime's", n)
	}
	wg.Wait()
	create, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pthread_create")
	pause, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pause")
	var tid uintptr
	for range 2 {
		if r, _, _ := purego.SyscallN(create, uintptr(unsafe.Pointer(&tid)), 0, pause, 0); r != 0 {
			t.Fatalf("pthread_create: %d", r)
		}
	}
	if n := Take().Threads; n != 2 {
		t.Errorf("with 2 C threads: %d threads not the runtime's, want 2", n)
	}
	unmark()
	name, _ := os.ReadFile("/proc/thread-self/comm")
	unmark, err := MarkHostThread()
	if err != nil {
		t.Fatal(err)
	}
	defer unmark()
	if n := Take().Threads; n != 2 || string(name) == hostThreadName+"\n" {
		t.Errorf("marked again: %d threads (want 2); unmarked, the thread was named %q", n, name)
	}
}

// A task that has ended, or is running its exit (PF_EXITING), is no thread
// a plugin left.
func TestExiting(t *testing.T) {
	for rest, want := range map[string]bool{
		"S 1 1 1 0 -1 4194368 0 0":    false, // a sleeping thread
		"R 1 1 1 0 -1 4194368 0 0":    false,
		"R 1 1 1 0 -1 4194372 0 0":    true, // 4194368 | PF_EXITING
		"D 1 1 1 0 -1 4 0":            true,
		"Z 1 1 1 0 -1 4194368 0 0":    true,
		"X 1 1 1 0 -1 0 0":            true,
		"Z":                           true,
		"S 1 1":                       false, // too short to tell: counted
		"S 1 1 1 0 -1 notanumber 0 0": false,
	} {
		if got := exiting([]byte(rest)); got != want {
			t.Errorf("exiting(%q) = %v, want %v", rest, got, want)
		}
	}
}

// A descriptor in one listing only, or on another file in the other, was
// held for a moment: not part of the state.
func TestInBoth(t *testing.T) {
	a := []FD{{Num: 0, Dev: 1, Ino: 1}, {Num: 3, Dev: 1, Ino: 7}, {Num: 4, Dev: 1, Ino: 8}, {Num: 5, Dev: 2, Ino: 9}}
	b := []FD{{Num: 0, Dev: 1, Ino: 1}, {Num: 4, Dev: 1, Ino: 8}, {Num: 5, Dev: 2, Ino: 10}, {Num: 6, Dev: 1, Ino: 3}}
	got := inBoth(a, b)
	if len(got) != 2 || got[0].Num != 0 || got[1].Num != 4 {
		t.Errorf("inBoth = %+v, want descriptors 0 and 4", got)
	}
	// The C library's transient file, even in both listings.
	cpu := FD{Num: 7, Dev: 3, Ino: 5, Desc: "/sys/devices/system/cpu/online"}
	if got := inBoth([]FD{{Num: 0, Dev: 1, Ino: 1}, cpu}, []FD{{Num: 0, Dev: 1, Ino: 1}, cpu}); len(got) != 1 || got[0].Num != 0 {
		t.Errorf("inBoth = %+v, want descriptor 0 only", got)
	}
}

// A listing of the files the last snapshot found is made once; any other
// is made twice, and what only one listing has is left out.
func TestListFDsListsTwiceOnlyAChange(t *testing.T) {
	defer func(l func() []FD) { listing = l }(listing)
	lastFDs.Lock()
	saved := lastFDs.fds
	lastFDs.fds = nil
	lastFDs.Unlock()
	defer func() { lastFDs.Lock(); lastFDs.fds = saved; lastFDs.Unlock() }()

	base := []FD{{Num: 0, Dev: 1, Ino: 1}, {Num: 1, Dev: 1, Ino: 2}}
	var script [][]FD
	listing = func() []FD {
		if len(script) == 0 {
			t.Fatal("listed more often than expected")
		}
		l := slices.Clone(script[0])
		script = script[1:]
		return l
	}
	for _, step := range []struct {
		what     string
		listings [][]FD
		want     []int
	}{
		{"the first snapshot", [][]FD{base, base}, []int{0, 1}},
		{"nothing changed", [][]FD{base}, []int{0, 1}},
		{"a descriptor held for a moment", [][]FD{append(slices.Clone(base), FD{Num: 9, Dev: 1, Ino: 5}), base}, []int{0, 1}},
		{"one opened", [][]FD{append(slices.Clone(base), FD{Num: 3, Dev: 1, Ino: 6}), append(slices.Clone(base), FD{Num: 3, Dev: 1, Ino: 6})}, []int{0, 1, 3}},
		{"the same again", [][]FD{append(slices.Clone(base), FD{Num: 3, Dev: 1, Ino: 6})}, []int{0, 1, 3}},
		{"it replaced for a moment", [][]FD{append(slices.Clone(base), FD{Num: 3, Dev: 1, Ino: 7}), base}, []int{0, 1}},
	} {
		script = step.listings
		var got []int
		for _, f := range listFDs() {
			got = append(got, f.Num)
		}
		if !slices.Equal(got, step.want) || len(script) != 0 {
			t.Errorf("%s: descriptors %v, want %v (%d listings left)", step.what, got, step.want, len(script))
		}
	}
}

// The count of a plugin's threads is remembered by the set of threads, not
// their number: a runtime thread that ends (its goroutine ended locked to
// it) and a plugin's thread that starts leave the number as it was. (Run
// in a process of its own.)
func TestThreadCountCacheIsTheSet(t *testing.T) {
	unmark, ok := onMarkedHostThread(t)
	if !ok {
		return
	}
	defer unmark()
	// A runtime thread of its own, held by a locked goroutine.
	started, stop := make(chan int), make(chan struct{})
	go func() {
		runtime.LockOSThread() // and never unlocked: the thread ends with the goroutine
		started <- unix.Gettid()
		<-stop
	}()
	tid := <-started
	if n := Take().Threads; n != 0 {
		t.Fatalf("with a runtime thread: %d threads not the runtime's", n)
	}
	close(stop)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the locked goroutine's thread did not end")
		}
	}
	create, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pthread_create")
	pause, _ := purego.Dlsym(purego.RTLD_DEFAULT, "pause")
	var c uintptr
	if r, _, _ := purego.SyscallN(create, uintptr(unsafe.Pointer(&c)), 0, pause, 0); r != 0 {
		t.Fatalf("pthread_create: %d", r)
	}
	if n := Take().Threads; n != 1 {
		t.Errorf("a plugin's thread in the place of an ended runtime thread: %d threads not the runtime's, want 1", n)
	}
}
