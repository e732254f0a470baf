//go:build windows

package worker

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
	"golang.org/x/sys/windows"
)

// These run under Wine in make test-windows (the unit tests in
// worker_test.go need Unix).

func testCommand(args ...string) *exec.Cmd { return exec.Command(os.Args[0], args...) }

// alive reports whether process pid exists and has not ended.
func alive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == 259 // STILL_ACTIVE
}

type nopHandler struct{}

func (nopHandler) Named(uint64, sanitize.Line)               {}
func (nopHandler) Log(uint64, sanitize.Line)                 {}
func (nopHandler) Warn(uint64, sanitize.Line, sanitize.Line) {}

// What a worker's exit status says on Windows.
func TestDescribeExitWindows(t *testing.T) {
	for _, tc := range []struct {
		code          uint32
		verdict       Verdict
		signal, words string
	}{
		{0xC0000005, Crashed, "EXCEPTION_ACCESS_VIOLATION", "ended by an access violation"},
		{0xC00000FD, Crashed, "EXCEPTION_STACK_OVERFLOW", "ended by a stack overflow"},
		{0xC0000374, Crashed, "STATUS_HEAP_CORRUPTION", "ended by heap corruption"},
		{0xE06D7363, Crashed, "C++ exception", "ended by an uncaught C++ exception"},
		{0xC0000409, Crashed, "STATUS_STACK_BUFFER_OVERRUN", "ended by a fail-fast exit"},
		{0xC0001234, Crashed, "exception 0xc0001234", "ended by exception 0xc0001234"},
		{3, Crashed, "SIGABRT", "aborted: exited with status 3"},
		{exitCPULimit, Crashed, cpuLimitSignal, "stopped by plugctl's CPU time limit"},
		{0, Failed, "", "exited with status 0"},
		{7, Failed, "", "exited with status 7"},
	} {
		st := exitState(t, tc.code)
		v, sig, words := describeExit(st)
		if v != tc.verdict || sig != tc.signal || !strings.HasPrefix(words, tc.words) {
			t.Errorf("status %#x: %v %q %q, want %v %q %q...", tc.code, v, sig, words, tc.verdict, tc.signal, tc.words)
		}
	}
}

// exitState returns the state of a process that exited with code.
func exitState(t *testing.T, code uint32) *os.ProcessState {
	t.Helper()
	cmd := testCommand("exit", strconv.FormatUint(uint64(code), 10))
	_ = cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("exit %d: did not run", code)
	}
	return cmd.ProcessState
}

// A process a plugin started is listed as left, and dies with the
// worker's job when the worker is closed.
func TestJobEndsWhatThePluginStarted(t *testing.T) {
	// Not t.TempDir: Go's RemoveAll fails under Wine 8 ("Invalid
	// function"); os.Remove does not.
	dir, err := os.MkdirTemp("", "plugctl-worker-test")
	if err != nil {
		t.Fatal(err)
	}
	pids := dir + `\pids`
	t.Cleanup(func() { os.Remove(pids); os.Remove(dir) })
	w, err := Start(Config{Env: append(os.Environ(), "PLUGCTL_PID_FILE="+pids), OutputLimit: 4096, MaxMemory: 4 << 30, Handler: nopHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	out := w.Run(context.Background(), Plugin{ID: 1, Path: testplugins.Path(t, "libdaemon"+testplugins.Ext), HostAPI: 1}, 10*time.Second)
	if out.Verdict != Passed || out.Result == nil || out.Result.After == nil {
		t.Fatalf("libdaemon: %+v", out)
	}
	if left := out.Result.After.Processes; len(left) != 1 || !strings.HasSuffix(strings.ToLower(left[0].Command), "sleeper.exe") {
		t.Fatalf("when init_plugin returned: left %+v, want sleeper.exe alone", left)
	}
	// Later, when the console host Windows starts for sleeper.exe is
	// running too, it is not counted as the plugin's.
	out = w.Settle(context.Background(), 500*time.Millisecond)
	if out.Verdict != Passed || out.Settled == nil {
		t.Fatalf("libdaemon settling: %+v", out)
	}
	left := out.Settled.Processes
	if len(left) != 1 || !strings.HasSuffix(strings.ToLower(left[0].Command), `\sleeper.exe`) {
		t.Fatalf("left %+v, want sleeper.exe alone (conhost.exe is not the plugin's)", left)
	}
	if !alive(left[0].PID) {
		t.Fatalf("sleeper.exe (%d) is not running", left[0].PID)
	}
	w.Close()
	deadline := time.Now().Add(5 * time.Second)
	for alive(left[0].PID) {
		if time.Now().After(deadline) {
			t.Fatalf("sleeper.exe (%d) outlived its worker", left[0].PID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A process older than the one its parent ID names was another's child:
// IDs are reused, and parent IDs outlive parents.
func TestChildOf(t *testing.T) {
	parent := time.Unix(1000, 0)
	if childOf(parent.Add(-time.Second), parent) {
		t.Error("a process created before its named parent is taken for its child")
	}
	if !childOf(parent.Add(time.Second), parent) || !childOf(parent, parent) {
		t.Error("a process created after its parent is not its child")
	}
	if !childOf(time.Time{}, parent) || !childOf(parent, time.Time{}) {
		t.Error("a time that could not be read rules a child out")
	}
	// The real clock agrees: this process is younger than its parent.
	if self, up := createdAt(uint32(os.Getpid())), createdAt(uint32(os.Getppid())); self.IsZero() || (!up.IsZero() && self.Before(up)) {
		t.Errorf("created at %v, parent at %v", self, up)
	}
}
