package worker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/procstate"
	"github.com/plugctl/plugctl/internal/sandbox"
)

// The state is the field after the last ")": a command name may hold ") Z".
func TestDeadStat(t *testing.T) {
	for stat, want := range map[string]bool{
		"42 (sleep) S 1 42":       false,
		"42 (sleep) Z 1 42":       true,
		"42 (sleep) X 1 42":       true,
		"42 (a) Z (b) S 1 42":     false,
		"42 (Z) R 1":              false,
		"42 (x)":                  false,
		"42 (x) ":                 false,
		"42 (x) Z":                true,
		"no parenthesis Z at all": false,
		") Z 1":                   true,
	} {
		if got := deadStat([]byte(stat)); got != want {
			t.Errorf("deadStat(%q) = %v", stat, got)
		}
	}
}

// What /proc/PID says: a zombie or dead process by its state, and the
// command line, its NULs as spaces, cut at 512 bytes.
func TestDescribeProc(t *testing.T) {
	for _, tt := range []struct {
		stat, cmdline string
		zombie        bool
		command       string
	}{
		{"42 (sh) S 1", "/bin/sh\x00-c\x00sleep 10\x00", false, "/bin/sh -c sleep 10"},
		{"42 (sh) Z 1", "", true, ""},
		{"42 (sh) R 1", "a\x00" + strings.Repeat("b", 600), false, "a " + strings.Repeat("b", 510)},
		{"42 (sh) R 1", strings.Repeat("c", 512), false, strings.Repeat("c", 512)},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(tt.stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(tt.cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
		p := describeProcIn(dir, 42)
		if p.pid != 42 || p.zombie != tt.zombie || p.command != tt.command {
			t.Errorf("%q, %.20q: %+v", tt.stat, tt.cmdline, p)
		}
	}
	// Ending: in its exit path (PF_EXITING, 0x4, the ninth field of stat),
	// or with a SIGKILL pending (bit 9 of SigPnd or ShdPnd, from 1).
	for _, tt := range []struct {
		stat, status string
		ending       bool
	}{
		{"42 (sh) S 1 42 42 0 -1 4194560 0", "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n", false},
		{"42 (sh) S 1 42 42 0 -1 4194564 0", "", true},
		{"42 (s) h) R 1 42 42 0 -1 4 0", "", true},
		{"42 (sh) S 1 42 42 0 -1 4194560 0", "Name:\tsh\nSigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\n", true},
		{"42 (sh) S 1 42 42 0 -1 4194560 0", "Name:\tsh\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n", true},
		{"42 (sh) S 1 42 42 0 -1 4194560 0", "Name:\tsh\nSigPnd:\t0000000000004000\nShdPnd:\t0000000000000080\n", false},
		{"42 (sh) S 1", "SigPnd: zz\n", false},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(tt.stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if tt.status != "" {
			if err := os.WriteFile(filepath.Join(dir, "status"), []byte(tt.status), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if p := describeProcIn(dir, 42); p.ending != tt.ending {
			t.Errorf("%q, %q: ending %v, want %v", tt.stat, tt.status, p.ending, tt.ending)
		}
	}
	// No /proc entry at all: nothing known.
	if p := describeProcIn(filepath.Join(t.TempDir(), "none"), 7); p.zombie || p.command != "" {
		t.Errorf("no entry: %+v", p)
	}
	// This process, for real.
	if p := describeProc(os.Getpid()); p.zombie || p.ending || !strings.Contains(p.command, "worker.test") {
		t.Errorf("this process: %+v", p)
	}
}

// A worker uses at most workerProcs processors whatever the machine has:
// told it has 16 (GOMAXPROCS in its environment, as a 16-core machine
// would), it still starts only the threads two need, not 2*16+4.
func TestWorkerUsesFewProcessors(t *testing.T) {
	w := start(t, newRecorder(), "GOMAXPROCS=16")
	if out := run(t, w, 1, "libplain.so", time.Minute); out.Verdict != Passed {
		t.Fatalf("verdict %s: %s", out.Verdict, out.Exit)
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(w.cmd.Process.Pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tasks); n >= 2*16+4 {
		t.Errorf("the worker runs %d threads: it uses as many processors as it was told the machine has", n)
	}
}

// The sandbox probe's process is never taken for an orphan: sweeps made
// while it lives (a SIGCHLD from another worker) leave it to the probe,
// and nothing is reported as a process a plugin left running.
func TestProbeIsNoOrphan(t *testing.T) {
	if !sandbox.Supported {
		t.Skip("no sandbox on this system")
	}
	adoptOrphans()
	EndOrphans()
	stop := make(chan struct{})
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				sweep()
			}
		}
	}()
	for range 20 {
		ProbeSandbox()
	}
	close(stop)
	<-swept
	if got := EndOrphans(); len(got) != 0 {
		t.Errorf("the probe's processes were ended as orphans: %+v", got)
	}
}

// Once EndOrphans has ended a run, a SIGCHLD sweeps no more: a child the
// process starts after it (plugctl's test harness runs the SARIF
// validator after the command) is not taken for an orphan. A CI run saw
// the validator killed twice in a row.
func TestNoSweepAfterTheRun(t *testing.T) {
	adoptOrphans()
	EndOrphans()
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer child.Process.Kill()
	// Children that end send SIGCHLD, which swept while workers ran.
	for range 5 {
		if err := exec.Command("true").Run(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if err := child.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("a child started after the run: %v", err)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child.Process.Pid)); err != nil || procstate.Ending(stat) {
		t.Fatalf("a child started after the run was killed: %s %v", stat, err)
	}
}

// The sweep reports an orphan only when a plugin left it running: not one
// already killed with its worker's group, or exiting, or gone.
func TestLeftRunning(t *testing.T) {
	for _, tt := range []struct {
		p    proc
		want bool
	}{
		{proc{pid: 1, command: "daemon"}, true},
		{proc{pid: 1, command: "daemon", ending: true}, false},
		{proc{pid: 1, command: "daemon", zombie: true}, false},
		{proc{pid: 1}, false},
	} {
		if got := leftRunning(tt.p); got != tt.want {
			t.Errorf("leftRunning(%+v) = %v", tt.p, got)
		}
	}
}
