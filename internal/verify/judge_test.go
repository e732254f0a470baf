package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/procstate"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/worker"
)

func passed(after *worker.Aftermath) worker.Outcome {
	return worker.Outcome{Verdict: worker.Passed, Result: &worker.Result{OK: true, After: after}}
}

func TestJudge(t *testing.T) {
	warn := procstate.Change{Kind: report.WorkingDirectory, Detail: "changed the working directory"}
	closed := procstate.Change{Kind: report.DescriptorClosed, Detail: "closed descriptor 0", Fatal: true}
	left := &worker.Aftermath{Threads: 1, Left: []string{"1 thread"}}

	// Nothing left, nothing changed: a pass, final at once.
	j := Judge(passed(&worker.Aftermath{}), nil, 64)
	if j.Status != report.Pass || len(j.Warnings) != 0 || j.Settle != 0 {
		t.Errorf("quiet: %+v", j)
	}

	// A change is a warning; closing a descriptor of the host's fails at
	// init, and the other changes stay warnings.
	j = Judge(passed(&worker.Aftermath{Changes: []procstate.Change{warn, closed}}), nil, 64)
	if j.Status != report.Fail || j.Check != report.CheckInit || j.Reason != "descriptor-closed: closed descriptor 0" ||
		len(j.Warnings) != 1 || j.Warnings[0] != (report.Finding{ID: "working-directory", Severity: report.Warning, Message: "changed the working directory"}) {
		t.Errorf("fatal at init: %+v", j)
	}

	// Found only at the end of the settle period: check settle, and the
	// reason says it came after init_plugin.
	settled := worker.Outcome{Verdict: worker.Passed, After: 500 * time.Millisecond,
		Settled: &worker.Aftermath{Changes: []procstate.Change{closed}}}
	j = Judge(passed(left), &settled, 64)
	if j.Status != report.Fail || j.Check != report.CheckSettle || !strings.Contains(string(j.Reason), "after init_plugin returned, closed descriptor 0") {
		t.Errorf("fatal at settle: %+v", j)
	}

	// Processes still running at the end: a left-process warning each,
	// their command lines sanitized.
	settled = worker.Outcome{Verdict: worker.Passed, After: 500 * time.Millisecond,
		Settled: &worker.Aftermath{Processes: []worker.Process{{PID: 42, Command: "daemon \x1b[2J"}}}}
	j = Judge(passed(&worker.Aftermath{Left: []string{"1 process"}}), &settled, 64)
	if j.Status != report.Pass || len(j.Warnings) != 1 || !strings.HasPrefix(j.Warnings[0].String(), `left-process: process 42 (daemon \x1b[2J) is still running 0.50 s after`) {
		t.Errorf("left process: %+v", j)
	}
	if j.Settle != 500*time.Millisecond || len(j.Left) != 1 {
		t.Errorf("settle %v left %q", j.Settle, j.Left)
	}

	// A death in the settle period decides the verdict, and the output of
	// both periods is kept, up to the limit.
	run := passed(left)
	run.Stdout = worker.Output{Data: []byte("run\n"), Total: 4}
	died := worker.Outcome{Verdict: worker.Crashed, Signal: "SIGSEGV", Phase: report.PhaseSettle, After: 300 * time.Millisecond,
		Exit: "killed by SIGSEGV (segmentation fault)", Result: run.Result, Stdout: worker.Output{Data: []byte("settle\n"), Total: 7}}
	j = Judge(run, &died, 8)
	if j.Status != report.Crash || j.Check != report.CheckSettle || j.Signal != "SIGSEGV" || j.Settle != 300*time.Millisecond ||
		j.Reason != "crashed 0.30 s after init_plugin returned (it had left 1 thread): killed by SIGSEGV (segmentation fault)" {
		t.Errorf("late crash: %+v", j)
	}
	if string(j.Stdout.Data) != "run\nsett" || j.Stdout.Total != 11 {
		t.Errorf("output %q/%d", j.Stdout.Data, j.Stdout.Total)
	}

	// A forged line fails, even if the worker then crashed.
	j = Judge(worker.Outcome{Verdict: worker.Failed, Forged: `{"ok":true}`, Phase: report.PhaseInit}, nil, 64)
	if j.Status != report.Fail || j.Check != report.CheckInit || !strings.HasPrefix(string(j.Reason), "the plugin wrote to plugctl's channel in init_plugin") {
		t.Errorf("forged: %+v", j)
	}
}

// Long text from a plugin is clipped past 200 bytes, not at 200.
func TestClip(t *testing.T) {
	s200 := strings.Repeat("x", 200)
	if got := clip(s200); got != s200 {
		t.Errorf("clip of 200 bytes changed it: %q", got)
	}
	if got := clip(s200 + "y"); got != s200+"…" {
		t.Errorf("clip of 201 bytes = %q", got)
	}
}

// A failure the worker reported itself (launch's error) is the verdict,
// unless the plugin died settling: then the death is.
func TestDescribeReportedFailure(t *testing.T) {
	res := &worker.Result{Error: &worker.Failure{Kind: "missing-dependency", Detail: "libx.so was not found", Hint: "install it"}}
	d := describe(worker.Outcome{Verdict: worker.Failed, Result: res, Phase: report.PhaseLoad})
	if d.status != report.Fail || d.check != report.CheckLoad || d.reason != "libx.so was not found" || d.hint != "install it" {
		t.Errorf("load failure: %+v", d)
	}
	d = describe(worker.Outcome{Verdict: worker.Crashed, Result: res, Phase: report.PhaseSettle, Signal: "SIGSEGV", Exit: "killed by SIGSEGV"})
	if d.status != report.Crash || d.check != report.CheckSettle || strings.Contains(string(d.reason), "libx.so") {
		t.Errorf("a death while settling after a reported result: %+v", d)
	}
	d = describe(worker.Outcome{Verdict: worker.Crashed, Phase: report.PhaseInit, Signal: "SIGSEGV", Exit: "killed by SIGSEGV"})
	if d.status != report.Crash || d.check != report.CheckInit || !strings.Contains(string(d.reason), "SIGSEGV") {
		t.Errorf("a crash with no result: %+v", d)
	}
}
