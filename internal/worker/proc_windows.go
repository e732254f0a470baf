//go:build windows

package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// passChannels makes the request and event pipes inheritable and names
// their handles on the worker's command line (Windows has no ExtraFiles).
func passChannels(cmd *exec.Cmd, req, ev *os.File) ([]string, error) {
	var args []string
	for _, f := range []*os.File{req, ev} {
		h := syscall.Handle(f.Fd())
		if err := syscall.SetHandleInformation(h, syscall.HANDLE_FLAG_INHERIT, syscall.HANDLE_FLAG_INHERIT); err != nil {
			return nil, err
		}
		cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, h)
		args = append(args, strconv.FormatUint(uint64(h), 10))
	}
	return args, nil
}

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// Each worker runs in a job object of its own, which every process a plugin
// starts joins too. plugctl holds the only handle: the job kills all of them
// when it is closed (when the worker is gone, or when plugctl ends, however
// it ends), and killGroup terminates the job. The job also caps each
// process's committed memory (--memory-limit) and makes an unhandled
// exception end a process at once, with no error-reporting dialog.
var jobs = struct {
	mu sync.Mutex
	m  map[int]windows.Handle // by worker process ID
}{m: map[int]windows.Handle{}}

// startWorker starts cmd in a new job object limited to maxMemory bytes of
// committed memory per process (0: no limit). The worker is added to the
// job as soon as it starts, before it can have read a request: no plugin
// code runs outside the job.
func startWorker(cmd *exec.Cmd, maxMemory uint64) error {
	job, err := newJob(maxMemory)
	if err != nil {
		return fmt.Errorf("creating a job object: %w", err)
	}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return err
	}
	proc, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err == nil {
		err = windows.AssignProcessToJobObject(job, proc)
		windows.CloseHandle(proc)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		windows.CloseHandle(job)
		return fmt.Errorf("adding the worker to its job object: %w", err)
	}
	jobs.mu.Lock()
	jobs.m[cmd.Process.Pid] = job
	jobs.mu.Unlock()
	return nil
}

func newJob(maxMemory uint64) (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, err
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION
	if maxMemory > 0 {
		info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_PROCESS_MEMORY
		info.ProcessMemoryLimit = uintptr(maxMemory)
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, err
	}
	return job, nil
}

// killGroup ends the worker and every process in its job.
func killGroup(pid int) {
	jobs.mu.Lock()
	job, ok := jobs.m[pid]
	jobs.mu.Unlock()
	if ok && windows.TerminateJobObject(job, exitKilled) == nil {
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// exitKilled is the status plugctl ends a worker's job with.
const exitKilled = 1

// workerGone closes the job of a worker that has been reaped: what its
// plugins started dies with it.
func workerGone(pid int) {
	jobs.mu.Lock()
	job, ok := jobs.m[pid]
	delete(jobs.m, pid)
	jobs.mu.Unlock()
	if ok {
		windows.CloseHandle(job)
	}
}

// liveDescendants lists, in the worker, the running processes below it:
// those its plugins started and theirs, found by their parent process IDs.
// (A job's own list would be exact, but Wine cannot query the caller's job,
// and a handle to it in the worker would keep the job open past plugctl.)
// A process whose parent has ended is missed here; the job still ends it.
func liveDescendants() []Process {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil
	}
	defer windows.CloseHandle(snap)
	children := map[uint32][]uint32{}
	exe := map[uint32]string{} // the executable's file name, from the snapshot
	pe := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		children[pe.ParentProcessID] = append(children[pe.ParentProcessID], pe.ProcessID)
		exe[pe.ProcessID] = windows.UTF16ToString(pe.ExeFile[:])
	}
	var out []Process
	seen := map[uint32]bool{}
	var walk func(uint32)
	walk = func(pid uint32) {
		born := createdAt(pid)
		for _, c := range children[pid] {
			if c == pid || seen[c] || !childOf(createdAt(c), born) {
				continue
			}
			seen[c] = true
			// The snapshot names the file even while the process is too
			// young to be opened for its full path; under Wine it may not
			// name it yet while the full path is there. Either says so.
			name := imageName(c)
			if name == "" {
				name = exe[c]
			}
			if strings.EqualFold(filepath.Base(exe[c]), "conhost.exe") || strings.EqualFold(filepath.Base(name), "conhost.exe") {
				continue // the console host Windows starts for a console program
			}
			out = append(out, Process{PID: int(c), Command: name})
			walk(c)
		}
	}
	walk(uint32(os.Getpid()))
	return out
}

// createdAt returns when process pid was created, or the zero time if it
// cannot be asked.
func createdAt(pid uint32) time.Time {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return time.Time{}
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if windows.GetProcessTimes(h, &created, &exited, &kernel, &user) != nil {
		return time.Time{}
	}
	return time.Unix(0, created.Nanoseconds())
}

// childOf reports whether a process created at child can be the child of
// one created at parent. Windows keeps a process's parent ID after the
// parent ends, and reuses IDs: a process older than the one whose ID it
// names as its parent was another's child. (Wine's services, started at its
// boot by a process long gone, named the worker that had been given that
// process's ID, and were taken for processes a plugin left.) A time that
// could not be read does not rule it out.
func childOf(child, parent time.Time) bool {
	return child.IsZero() || parent.IsZero() || !child.Before(parent)
}

// imageName returns the executable path of process pid, or "".
func imageName(pid uint32) string {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	var name [windows.MAX_PATH]uint16
	n := uint32(len(name))
	if windows.QueryFullProcessImageName(h, 0, &name[0], &n) != nil {
		return ""
	}
	return windows.UTF16ToString(name[:n])
}

// endWithParent has nothing to do on Windows: a worker is always in the
// job plugctl holds the only handle to (startWorker fails otherwise), and
// that job kills the worker the moment plugctl ends, however it ends.
func endWithParent(*os.File) {}

// endGroup ends the worker with code; its job, closed by plugctl, ends what
// its plugins started.
func endGroup(code int) { os.Exit(code) }

// On Windows plugctl needs no subreaper: a worker's job holds everything
// below it, and is closed with it.
func becomeReaper()                         {}
func oomKills() int64                       { return -1 }
func EndOrphans() []Process                 { return nil }
func moveHigh(f *os.File) (*os.File, error) { return f, nil }
func warmUp()                               {}
func cpuHardLimit() time.Duration           { return 0 }

// identity stands for what a handle is open on; Windows handles are not
// compared.
type identity struct{}

func fileIdentity(*os.File) identity       { return identity{} }
func fdIdentity(*os.File) (identity, bool) { return identity{}, true }

// isBrokenPipe reports a write to a pipe whose reader is gone:
// ERROR_BROKEN_PIPE, or ERROR_NO_DATA (232), the pipe being closed.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.ERROR_BROKEN_PIPE) || errors.Is(err, syscall.Errno(232))
}

func cpuTime(st *os.ProcessState) time.Duration {
	if st == nil {
		return 0
	}
	return st.UserTime() + st.SystemTime()
}

// exceptions names the NTSTATUS codes a crashing process exits with, and
// says in plain words what each means.
var exceptions = map[uint32]struct{ name, what string }{
	0xC0000005: {"EXCEPTION_ACCESS_VIOLATION", "an access violation: a read or write through a bad pointer"},
	0xC0000006: {"EXCEPTION_IN_PAGE_ERROR", "a page of a mapped file could not be read in"},
	0xC000001D: {"EXCEPTION_ILLEGAL_INSTRUCTION", "an illegal instruction (a trap, or code for another CPU)"},
	0xC0000025: {"EXCEPTION_NONCONTINUABLE_EXCEPTION", "an exception handler tried to continue after a fatal exception"},
	0xC000008C: {"EXCEPTION_ARRAY_BOUNDS_EXCEEDED", "an array bounds check"},
	0xC000008E: {"EXCEPTION_FLT_DIVIDE_BY_ZERO", "a floating-point division by zero"},
	0xC0000094: {"EXCEPTION_INT_DIVIDE_BY_ZERO", "an integer division by zero"},
	0xC0000095: {"EXCEPTION_INT_OVERFLOW", "an integer overflow"},
	0xC0000096: {"EXCEPTION_PRIV_INSTRUCTION", "a privileged instruction"},
	0xC00000FD: {"EXCEPTION_STACK_OVERFLOW", "a stack overflow: unbounded recursion, or a huge local array"},
	0xC0000374: {"STATUS_HEAP_CORRUPTION", "heap corruption the heap manager detected: a double free, or a write past an allocation"},
	0xC0000409: {"STATUS_STACK_BUFFER_OVERRUN", "a fail-fast exit: __fastfail, abort() in the Universal C Runtime, or a detected stack buffer overrun"},
	0xC0000417: {"STATUS_INVALID_CRT_PARAMETER", "an invalid argument to a C runtime function"},
	0xC0000135: {"STATUS_DLL_NOT_FOUND", "a DLL could not be found"},
	0xC0000142: {"STATUS_DLL_INIT_FAILED", "a DLL's initialisation failed"},
	0xE06D7363: {"C++ exception", "an uncaught C++ exception (MSVC's code 0xE06D7363)"},
	0xE0434352: {".NET exception", "an uncaught .NET exception"},
	0x80000003: {"EXCEPTION_BREAKPOINT", "a breakpoint (int3, __debugbreak or DebugBreak) with no debugger attached"},
}

// cpuLimitSignal stands, on Windows, for the SIGXCPU of Unix: the worker's
// watchdog ended it for using more CPU time than --cpu-limit.
const cpuLimitSignal = "CPU_TIME_LIMIT"

// abortStatus is the status the Microsoft C runtimes' abort() exits with
// (after raising SIGABRT), when it does not fail fast.
const abortStatus = 3

// describeExit says how a worker that gave no result ended. Exit codes with
// the NTSTATUS error bits set are crashes, named with the exception; status
// 3 is abort()'s, reported as SIGABRT, the signal the C runtime raised. A Go
// runtime that caught the exception itself exits with status 2, which is
// reported as a failure.
func describeExit(st *os.ProcessState) (v Verdict, signal, exit string) {
	if st == nil {
		return Failed, "", "ended in an unknown way"
	}
	code := uint32(st.ExitCode())
	switch {
	case code >= 0xC0000000 || code == 0x80000003:
		e, ok := exceptions[code]
		if !ok {
			e.name = fmt.Sprintf("exception %#x", code)
			return Crashed, e.name, fmt.Sprintf("ended by %s", e.name)
		}
		return Crashed, e.name, fmt.Sprintf("ended by %s (%s, %#x)", e.what, e.name, code)
	case code == exitCPULimit:
		return Crashed, cpuLimitSignal, "stopped by plugctl's CPU time limit"
	case code == abortStatus:
		return Crashed, "SIGABRT", "aborted: exited with status 3, as abort() does on Windows"
	}
	return Failed, "", fmt.Sprintf("exited with status %d", code)
}

// debugger is how the hints start plugctl under a debugger here.
const debugger = "windbg -g"
