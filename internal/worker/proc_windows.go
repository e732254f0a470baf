//go:build windows

package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
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

// endWithParent does nothing on Windows: a worker whose parent died ends
// when it next reads a request.
func endWithParent(*os.File) {}

// endGroup ends the worker with code. Processes a plugin started are not
// tracked on Windows.
func endGroup(code int) { os.Exit(code) }

// On Windows plugctl does not track what a plugin starts (no job object
// yet), has no subreaper, and keeps its channels on the handles it was
// given.
func becomeReaper()                         {}
func liveDescendants() []Process            { return nil }
func workerGone(int)                        {}
func oomKills() int64                       { return -1 }
func EndOrphans() []Process                 { return nil }
func startWorker(cmd *exec.Cmd) error       { return cmd.Start() }
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

// killGroup kills the worker. Processes a plugin started are not tracked on
// Windows.
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// exceptions names the NTSTATUS codes a crashing process exits with.
var exceptions = map[uint32]string{
	0xC0000005: "EXCEPTION_ACCESS_VIOLATION",
	0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
	0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
	0xC00000FD: "EXCEPTION_STACK_OVERFLOW",
	0xC0000409: "STATUS_STACK_BUFFER_OVERRUN",
	0x80000003: "EXCEPTION_BREAKPOINT",
}

// describeExit says how a worker that gave no result ended. Exit codes with
// the NTSTATUS error bits set are crashes; a Go runtime that caught the
// exception itself exits with status 2, which is reported as a failure.
func describeExit(st *os.ProcessState) (v Verdict, signal, exit string) {
	if st == nil {
		return Failed, "", "ended in an unknown way"
	}
	code := uint32(st.ExitCode())
	if code >= 0xC0000000 || code == 0x80000003 {
		name := exceptions[code]
		if name == "" {
			name = fmt.Sprintf("exception %#x", code)
		}
		return Crashed, name, fmt.Sprintf("ended by %s (%#x)", name, code)
	}
	return Failed, "", fmt.Sprintf("exited with status %d", code)
}
